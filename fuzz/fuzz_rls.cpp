// Resource lists: the multipart reader, RLMI and resource-lists documents. Whatever
// decodes must encode to a body that decodes to the same model, and a list NOTIFY
// body goes through the subscriber's reader without harm.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sipevents/message/multipart.hpp"
#include "sipevents/rls/list_view.hpp"
#include "sipevents/rls/resource_lists.hpp"
#include "sipevents/rls/rlmi.hpp"

namespace rl = sipevents::rls;
namespace sm = sipevents::message;

namespace {
struct text_package : sipevents::events::package {
  std::string_view name() const override { return "presence"; }
  std::vector<std::string> content_types() const override { return {"application/pidf+xml"}; }
  std::optional<sipevents::events::body> state(const sipevents::events::watcher_view&) override { return {}; }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  rl::rlmi doc;
  if (rl::decode(text, doc)) {
    rl::rlmi again;
    if (!rl::decode(rl::encode(doc), again) || !(again == doc)) std::abort();
  }
  rl::resource_lists lists;
  if (rl::decode(text, lists)) {
    rl::resource_lists again;
    if (!rl::decode(rl::encode(lists), again) || !(again == lists)) std::abort();
    std::vector<rl::served_list> flat;
    rl::flatten(lists, "example.com", flat);
  }
  sm::multipart mp;
  if (sm::decode(text, "b1", mp)) {
    sm::multipart again;
    // Bodies that hold the boundary cannot be written back with it.
    bool clash = false;
    for (const auto& p : mp.parts) clash = clash || p.body.find("--b1") != std::string::npos;
    if (!clash && (!sm::decode(sm::encode(mp), "b1", again) || again.parts.size() != mp.parts.size())) std::abort();
  }
  static text_package inner;
  static const rl::list_reader reader(inner);
  sm::media_type t;
  if (!sm::parse_media_type("multipart/related;type=\"application/rlmi+xml\";boundary=b1", t)) reader.decode(t, text);
  return 0;
}
