#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/winfo/watcherinfo.hpp"

#include <array>

#include "sipevents/xml/impl/xml_util.hpp"

namespace sipevents::winfo {

namespace {
using xml::attr;
using xml::escape;
using xml::failure;
using xml::local_name;
using XE = tinyxml2::XMLElement;

constexpr std::array<std::string_view, 4> status_names = {"pending", "active", "waiting", "terminated"};
constexpr std::array<std::string_view, 8> event_names = {"subscribe", "approved", "deactivated", "probation",
                                                         "rejected",  "timeout",  "giveup",      "noresource"};

bool named(const XE* e, std::string_view n) {
  return xml::namespace_of(e) == watcherinfo_ns && local_name(e->Name()) == n;
}
}  // namespace

SIPEVENTS_INLINE std::string_view to_string(watcher_status s) noexcept { return status_names[static_cast<std::size_t>(s)]; }
SIPEVENTS_INLINE std::optional<watcher_status> watcher_status_from(std::string_view s) noexcept {
  for (std::size_t i = 0; i < status_names.size(); ++i)
    if (status_names[i] == s) return static_cast<watcher_status>(i);
  return std::nullopt;
}
SIPEVENTS_INLINE std::string_view to_string(watcher_event e) noexcept { return event_names[static_cast<std::size_t>(e)]; }
SIPEVENTS_INLINE std::optional<watcher_event> watcher_event_from(std::string_view s) noexcept {
  for (std::size_t i = 0; i < event_names.size(); ++i)
    if (event_names[i] == s) return static_cast<watcher_event>(i);
  return std::nullopt;
}

SIPEVENTS_INLINE std::string encode(const watcherinfo& doc) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<watcherinfo";
  attr(out, "xmlns", watcherinfo_ns);
  attr(out, "version", std::to_string(doc.version));
  attr(out, "state", doc.full ? "full" : "partial");
  out.append(">\n");
  for (const auto& l : doc.lists) {
    out.append("  <watcher-list");
    attr(out, "resource", l.resource);
    attr(out, "package", l.package);
    out.append(">\n");
    for (const auto& w : l.watchers) {
      out.append("    <watcher");
      attr(out, "id", w.id);
      attr(out, "status", to_string(w.status));
      attr(out, "event", to_string(w.event));
      if (!w.display_name.empty()) attr(out, "display-name", w.display_name);
      if (w.expiration) attr(out, "expiration", std::to_string(*w.expiration));
      if (w.duration_subscribed) attr(out, "duration-subscribed", std::to_string(*w.duration_subscribed));
      out.append(">");
      escape(out, w.uri, false);
      out.append("</watcher>\n");
    }
    out.append("  </watcher-list>\n");
  }
  out.append("</watcherinfo>\n");
  return out;
}

SIPEVENTS_INLINE bool decode(std::string_view text, watcherinfo& out, std::string* error) {
  failure fail{error};
  out = watcherinfo{};
  tinyxml2::XMLDocument d;
  const XE* root = xml::parse_root(d, text, watcherinfo_ns, "watcherinfo", "watcherinfo", fail);
  if (!root || !xml::version_and_state(root, "watcherinfo", out.version, out.full, fail)) return false;
  for (const XE* l = root->FirstChildElement(); l; l = l->NextSiblingElement()) {
    if (!named(l, "watcher-list")) continue;
    watcher_list wl;
    const char* res = l->Attribute("resource");
    const char* pkg = l->Attribute("package");
    if (!res || !pkg) return fail("watcher-list without resource or package");
    wl.resource = res;
    wl.package = pkg;
    for (const XE* e = l->FirstChildElement(); e; e = e->NextSiblingElement()) {
      if (!named(e, "watcher")) continue;
      watcher w;
      const char* id = e->Attribute("id");
      const char* st = e->Attribute("status");
      const char* ev = e->Attribute("event");
      if (!id || !*id || !st || !ev) return fail("watcher without id, status or event");
      w.id = id;
      auto s = watcher_status_from(st);
      if (!s) return fail("watcher status " + std::string(st));
      w.status = *s;
      auto x = watcher_event_from(ev);
      if (!x) return fail("watcher event " + std::string(ev));
      w.event = *x;
      if (const char* dn = e->Attribute("display-name")) w.display_name = dn;
      if (!xml::number(e->Attribute("expiration"), w.expiration) ||
          !xml::number(e->Attribute("duration-subscribed"), w.duration_subscribed))
        return fail("watcher expiration or duration-subscribed is not a number");
      w.uri = xml::text_of(e);
      if (w.uri.empty()) return fail("watcher without a URI");
      wl.watchers.push_back(std::move(w));
    }
    out.lists.push_back(std::move(wl));
  }
  return true;
}

}  // namespace sipevents::winfo

SIPEVENTS_IMPL_END
