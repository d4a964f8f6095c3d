// Partial PIDF (RFC 5262, with the XML patch operations of RFC 5261) as RFC 5263 uses
// it for presence: application/pidf-diff+xml carries either the full state
// (<pidf-full>) or the changes since the last NOTIFY (<pidf-diff>), each with a
// version one above the last. The writer expresses changes as whole tuples and
// persons added, replaced or removed, and a tuple's basic status replaced; the
// reader takes those selectors as other notifiers write them too, and a view applies
// them to the same presence_document a full PIDF gives.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_PRESENCE_PIDF_DIFF
#endif
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sipevents/presence/pidf.hpp"

namespace sipevents::presence {

inline constexpr std::string_view pidf_diff_ns = "urn:ietf:params:xml:ns:pidf-diff";
inline constexpr std::string_view pidf_diff_type = "application/pidf-diff+xml";

/// One patch operation of a `<pidf-diff>`, on the presence model.
struct pidf_op {
  enum class kind : std::uint8_t {
    add,      ///< insert `tuples` or `persons`
    replace,  ///< the selected tuple or person becomes the one given
    remove,   ///< the selected tuple or person goes
    basic,    ///< the selected tuple's basic status becomes `basic`
  };
  /// Where an add goes: RFC 5261 pos, relative to the selected element, or as the
  /// first or last ones of their kind when the document itself is selected.
  enum class position : std::uint8_t { append, prepend, before, after };
  kind what = kind::add;
  bool on_person = false;  ///< a dm:person is selected (else a tuple)
  std::string id;       ///< the id selected; empty: the document (add only)
  position pos = position::append;
  std::vector<tuple> tuples;    ///< add, replace
  std::vector<person> persons;  ///< add, replace
  basic_status basic = basic_status::none;
  bool operator==(const pidf_op&) const = default;
};

/// An application/pidf-diff+xml body.
struct pidf_update {
  std::string entity;
  std::uint32_t version = 0;
  bool full = false;             ///< `<pidf-full>`: `document` is the whole state
  presence_document document;    ///< full state
  std::vector<pidf_op> ops;      ///< `<pidf-diff>`: the changes, in order
};

/// `<pidf-full>` for `doc` at `version`.
std::string encode_pidf_full(const presence_document& doc, std::uint32_t version);
/// The size of encode_pidf_full(doc, version) for a `doc` whose encode() is
/// `pidf_size` bytes, without writing it (the children are the same, the roots differ).
std::size_t pidf_full_size(std::size_t pidf_size, std::uint32_t version);

/// `<pidf-diff>` taking `from` to `to` at `version`, or nothing when the change is not
/// one this writer expresses (presence-level notes or extensions changed, tuples or
/// persons reordered, an id that cannot be quoted): send encode_pidf_full() instead.
std::optional<std::string> encode_pidf_diff(const presence_document& from, const presence_document& to,
                                            std::uint32_t version);

/// Reads a pidf-diff+xml body. False, with the reason in `error`, when it is not XML,
/// has neither root, lacks entity or version, or holds an operation or selector
/// outside what pidf_op expresses (a subscriber then asks for full state).
bool decode_pidf_update(std::string_view xml, pidf_update& out, std::string* error = nullptr);

/// The subscriber's state of one presentity fed by pidf-diff+xml NOTIFYs.
class pidf_view {
 public:
  enum class result : std::uint8_t {
    applied,    ///< document() is current
    need_full,  ///< a version gap, a diff before any full state, or an operation that
                ///< does not fit the state held: refresh the subscription for full state
  };
  /// Applies `u`; on need_full the reason is in `why` and the state held is unchanged.
  result apply(const pidf_update& u, std::string* why = nullptr);
  const presence_document& document() const noexcept { return doc_; }
  std::optional<std::uint32_t> version() const noexcept { return version_; }

 private:
  presence_document doc_;
  std::optional<std::uint32_t> version_;
};

}  // namespace sipevents::presence

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_PRESENCE_PIDF_DIFF
#define SIPEVENTS_SEEN_PRESENCE_PIDF_DIFF
#include "sipevents/impl/definitions.ipp"
#endif
