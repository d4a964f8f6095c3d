// application/pidf+xml and application/pidf-diff+xml: whatever decodes must encode to
// a document that decodes to the same model, and a diff applies to a view holding
// state without harm (applied, or a reason to ask for full state).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sipevents/presence/pidf_diff.hpp"

namespace pr = sipevents::presence;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  pr::presence_document doc;
  if (pr::decode(text, doc)) {
    pr::presence_document again;
    if (!pr::decode(pr::encode(doc), again) || !(again == doc)) std::abort();
  }
  pr::pidf_update u;
  if (!pr::decode_pidf_update(text, u)) return 0;
  if (u.full) {
    pr::pidf_update back;
    if (!pr::decode_pidf_update(pr::encode_pidf_full(u.document, u.version), back) || !(back.document == u.document))
      std::abort();
    return 0;
  }
  // A view holding a state the diff may name: tuples "a" to "c", one person.
  pr::presence_document base;
  base.entity = u.entity;
  for (const char* id : {"a", "b", "c"}) base.tuples.push_back({id, pr::basic_status::open, {}, {}, {}, {}, {}});
  base.persons.push_back({});
  base.persons.back().id = "p";
  pr::pidf_view view;
  if (view.apply({u.entity, u.version - 1, true, base, {}}) != pr::pidf_view::result::applied) std::abort();
  if (view.apply(u) == pr::pidf_view::result::applied) {
    // What the view now holds is a document we can write and read back.
    pr::presence_document again;
    if (!pr::decode(pr::encode(view.document()), again)) std::abort();
  }
  return 0;
}
