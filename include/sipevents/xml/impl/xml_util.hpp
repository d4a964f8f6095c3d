// XML helpers the document codecs (reginfo, PIDF) share. Private to the library.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_XML_IMPL_XML_UTIL
#endif
#include <tinyxml2.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sipevents::xml {

/// Appends `s` with &, <, > (and " in attributes) escaped.
void escape(std::string& out, std::string_view s, bool attr);
/// Appends ` name="value"`.
void attr(std::string& out, std::string_view name, std::string_view value);

/// "b" of "a:b".
std::string_view local_name(const char* qname);
/// The namespace URI of an element, resolved from the xmlns attributes in scope.
std::string_view namespace_of(const tinyxml2::XMLElement* e);
/// True if `e` is `name` in namespace `ns`, whatever its prefix.
bool is(const tinyxml2::XMLElement* e, std::string_view ns, std::string_view name);
/// The element as XML, carrying the declarations of the prefixes it uses, so it means
/// the same when written back inside another document.
std::string print(const tinyxml2::XMLElement* e);
/// The first prefix used under `e` (itself included), by an element or an attribute,
/// that no xmlns declaration in scope binds; empty when every one is bound. A document
/// using one is not namespace-well-formed, and would mean something else once written
/// inside a document that binds it.
std::string undeclared_prefix(const tinyxml2::XMLElement* e);
/// The text content with surrounding white space removed.
std::string text_of(const tinyxml2::XMLElement* e);
/// An unsigned decimal attribute; false if present and not a number.
bool number(const char* s, std::optional<std::uint32_t>& out);

/// Attributes of `e` not in `known` and not namespace declarations, as name/value.
void keep_attributes(const tinyxml2::XMLElement* e, std::initializer_list<std::string_view> known,
                     std::vector<std::pair<std::string, std::string>>& out);

/// Sets `*error` (if given) and returns false: `return fail("why")`.
struct failure {
  std::string* error;
  bool operator()(std::string why) const {
    if (error) *error = std::move(why);
    return false;
  }
};

/// Parses `text` into `doc` and returns its root when that is `name` in namespace
/// `ns`; otherwise null, with `fail` told "not XML: ..." or "root is not WHAT".
const tinyxml2::XMLElement* parse_root(tinyxml2::XMLDocument& doc, std::string_view text, std::string_view ns,
                                       std::string_view name, std::string_view what, const failure& fail);
/// The version attribute and state ("full" or "partial", or `alt_state` as some
/// documents spell it) of a versioned document's root; false, `fail` told, otherwise.
bool version_and_state(const tinyxml2::XMLElement* root, std::string_view what, std::uint32_t& version, bool& full,
                       const failure& fail, const char* alt_state = nullptr);

}  // namespace sipevents::xml

#ifdef SIPEVENTS_HEADER_ONLY
#include "sipevents/xml/impl/xml_util.ipp"
#endif

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_XML_IMPL_XML_UTIL
#define SIPEVENTS_SEEN_XML_IMPL_XML_UTIL
#include "sipevents/impl/definitions.ipp"
#endif
