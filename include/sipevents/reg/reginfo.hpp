// application/reginfo+xml (RFC 3680 5.3): a typed model, an encoder and a decoder.
// Elements and attributes outside the model are kept and written back, so a document
// survives a round trip; any namespace prefix is accepted.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_REG_REGINFO
#endif
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sipevents::reg {

inline constexpr std::string_view reginfo_ns = "urn:ietf:params:xml:ns:reginfo";
inline constexpr std::string_view reginfo_type = "application/reginfo+xml";

/// An attribute or element the model does not know, kept as written.
struct extension {
  std::string name;  ///< attribute name; for elements, empty
  std::string text;  ///< attribute value, or the element serialized as XML
};

struct unknown_param {
  std::string name;
  std::optional<std::string> value;
};

struct contact_info {
  std::string id;
  std::string state = "active";  ///< active | terminated
  std::string event;             ///< registered, created, refreshed, shortened, expired, ...
  std::optional<std::uint32_t> expires;
  std::optional<std::uint32_t> duration_registered;
  std::optional<std::uint32_t> retry_after;
  std::optional<std::string> q;  ///< as written: "0.8"
  std::string callid;
  std::optional<std::uint32_t> cseq;
  std::string uri;
  std::optional<std::string> display_name;
  std::string display_lang;
  std::vector<unknown_param> unknown_params;
  std::vector<extension> attributes;  ///< other attributes (Kamailio adds received, path ...)
  std::vector<extension> elements;    ///< other child elements
};

struct registration_info {
  std::string aor;
  std::string id;
  std::string state = "init";  ///< init | active | terminated
  std::vector<contact_info> contacts;
  std::vector<extension> attributes;
  std::vector<extension> elements;
};

struct reginfo {
  std::uint32_t version = 0;
  bool full = true;  ///< state="full", else "partial"
  std::vector<registration_info> registrations;
  std::vector<extension> attributes;
  std::vector<extension> elements;
};

/// The document, with an XML declaration; text and attributes escaped.
std::string encode(const reginfo& doc);

/// Reads a reginfo document. On failure returns false and says why in `error`.
bool decode(std::string_view xml, reginfo& out, std::string* error = nullptr);

}  // namespace sipevents::reg

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_REG_REGINFO
#define SIPEVENTS_SEEN_REG_REGINFO
#include "sipevents/impl/definitions.ipp"
#endif
