// PIDF (RFC 3863) with the RPID extensions (RFC 4480) in the data model of RFC 4479:
// a typed model, an encoder and a decoder (tinyxml2). Elements the model does not
// know are kept as XML, with the declarations of the prefixes they use, and written
// back in their place, so a document survives a round trip. Any prefix is accepted.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_PRESENCE_PIDF
#endif
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyxml2 {
class XMLElement;
}

namespace sipevents::presence {

inline constexpr std::string_view pidf_ns = "urn:ietf:params:xml:ns:pidf";
inline constexpr std::string_view dm_ns = "urn:ietf:params:xml:ns:pidf:data-model";
inline constexpr std::string_view rpid_ns = "urn:ietf:params:xml:ns:pidf:rpid";
inline constexpr std::string_view pidf_type = "application/pidf+xml";
/// The pre-RFC 3863 type some UAs still send and accept; same document.
inline constexpr std::string_view cpim_pidf_type = "application/cpim-pidf+xml";

enum class basic_status : std::uint8_t { none, open, closed };
std::string_view to_string(basic_status b) noexcept;

struct note {
  std::string text;
  std::string lang;  ///< xml:lang, empty if none
  bool operator==(const note&) const = default;
};

struct contact_address {
  std::string uri;
  std::optional<std::string> priority;  ///< as written, "0.8"
  bool operator==(const contact_address&) const = default;
};

/// RFC 4480 activities.
enum class activity : std::uint8_t {
  appointment, away, breakfast, busy, dinner, holiday, in_transit, looking_for_work, meal, meeting,
  on_the_phone, performance, permanent_absence, playing, presentation, shopping, sleeping, spectator,
  steering, travel, tv, unknown, vacation, working, worship, other
};
std::string_view to_string(activity a) noexcept;
/// "on-the-phone" -> activity::on_the_phone; false for a token RFC 4480 does not name.
bool parse_activity(std::string_view token, activity& out) noexcept;

/// An activity, mood or place type: an RFC 4480 token, or `other` with free text.
struct rpid_value {
  std::string token;  ///< "busy", "happy", "home"; "other" with `text`
  std::string text;
  bool operator==(const rpid_value&) const = default;
};

/// RFC 4480 privacy: who might overhear. All false with `known`: a private place.
struct rpid_privacy {
  bool known = true;  ///< false: <rpid:unknown/>
  bool audio = false, text = false, video = false;
  bool operator==(const rpid_privacy&) const = default;
};

/// A dm:person (RFC 4479) with its RPID elements.
struct person {
  std::string id;
  std::vector<activity> activities;
  std::string activity_other;            ///< text of <rpid:other> among activities
  std::string activities_from, activities_until;  ///< the from/until attributes
  std::vector<note> activity_notes;      ///< <rpid:note> inside <rpid:activities>
  std::vector<rpid_value> moods;
  std::optional<rpid_value> place_type;  ///< an RFC 4589 location type, or other
  std::optional<rpid_privacy> privacy;
  std::vector<note> notes;
  std::string timestamp;
  std::vector<std::string> extensions;   ///< other child elements, as XML
  bool operator==(const person&) const = default;
};

struct tuple {
  std::string id;
  basic_status basic = basic_status::none;
  std::vector<std::string> status_extensions;  ///< `<im:im>busy</im:im>` ... inside `<status>`
  std::vector<std::string> extensions;         ///< other elements of the tuple
  std::optional<contact_address> contact;
  std::vector<note> notes;
  std::string timestamp;
  bool operator==(const tuple&) const = default;
};

struct presence_document {
  std::string entity;
  std::vector<tuple> tuples;
  std::vector<note> notes;
  std::vector<person> persons;
  std::vector<std::string> extensions;  ///< other presence-level elements (dm:device ...)
  /// Elements marked mustUnderstand="1" that the model does not know (RFC 3863 4.1.5:
  /// a watcher that cannot understand them should not rely on the document).
  std::vector<std::string> not_understood;
  bool operator==(const presence_document&) const = default;
};

/// The document with an XML declaration; `pidf` the default namespace.
std::string encode(const presence_document& doc);

namespace detail {
// The pieces of the PIDF codec the RFC 5262 diff codec shares.
/// Appends the children of <presence> for `doc`: tuples, notes, persons, extensions
/// (dm: and rpid: prefixes must be declared by the enclosing element).
void write_children(std::string& out, const presence_document& doc);
void write_tuple(std::string& out, const tuple& t);
void write_person(std::string& out, const person& p);
/// Reads the PIDF children of `parent` (a <presence>, or anything holding tuples,
/// notes and persons) into `doc`; false with the reason in `error`.
bool read_children(const tinyxml2::XMLElement* parent, presence_document& doc, std::string* error);
}  // namespace detail

/// Reads a PIDF document. False, with the reason in `error`, when it is not XML, not
/// PIDF, or breaks the schema where the model depends on it (a tuple without id or
/// status, a basic that is neither open nor closed).
bool decode(std::string_view xml, presence_document& out, std::string* error = nullptr);

}  // namespace sipevents::presence

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_PRESENCE_PIDF
#define SIPEVENTS_SEEN_PRESENCE_PIDF
#include "sipevents/impl/definitions.ipp"
#endif
