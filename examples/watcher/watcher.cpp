// sipevents-watcher: subscribe to any event package and print each NOTIFY.
//
//   sipevents-watcher --event PKG --from URI (--server udp|tcp|tls:HOST:PORT | --dns HOST:PORT) [--ca FILE]
//                     [--id ID] [--accept TYPE] [--expires N] [--count N | --duration S] [--text]
//                     [--direct] [--list] [--user NAME --password PW]
//                     TARGET-URI
//   sipevents-watcher --event PKG --unsolicited --listen udp|tcp:HOST:PORT [--count N | --duration S] [--text]
//
// --unsolicited subscribes to nothing: it listens and prints the NOTIFYs of PKG that
// arrive without a subscription (RFC 3842 4: a PBX lighting a phone's voicemail lamp
// without a SUBSCRIBE), answering them 200; NOTIFYs of other packages get 481.
// The SUBSCRIBE goes to --server; its refreshes and the unsubscribe go there too (an
// outbound proxy), or with --direct to the notifier's Contact, as a UA without a proxy
// sends them: a notifier node that takes the subscription over moves them to itself.
// --dns HOST:PORT sends the SUBSCRIBE where TARGET-URI's domain resolves by RFC 3263
// (NAPTR, SRV, A/AAAA asked of that DNS server) instead of to --server.
// --via is another name for --server. Over tls: the server's certificate must name the
// domain of TARGET-URI (RFC 5922), chained to --ca or the system's CAs.
//
// --list subscribes to a resource list (RFC 4662): it sends Supported: eventlist and
// accepts multipart/related with RLMI; each NOTIFY's line then holds the whole list
// as it stands ("list": uri, version, whether this NOTIFY was full, and each resource
// with its instances: state, reason, and the parsed body under its package's key as
// below). A partial NOTIFY that skips a version refreshes the subscription.
//
// One JSON line per NOTIFY: event, resource, state, reason, expires, content_type,
// body, and for presence the parsed document ("presence"), for dialog (RFC 4235) the
// busy lamp and the dialogs ("dialog": lamp idle|dialing|ringing|busy, the caller
// when ringing), for message-summary (RFC 3842) the voicemail summary ("summary":
// waiting, account, counts per class), for presence.winfo (RFC 3857) the watchers
// ("winfo": each watcher with its status and event), or why it could not be read
// ("parse_error"). --text prints one
// readable line per NOTIFY instead. After
// --count NOTIFYs or --duration seconds it unsubscribes and waits for the final
// NOTIFY (at most 64*T1); SIGINT or SIGTERM does the same. Exit 0 when a NOTIFY
// arrived and the subscription ended cleanly; 1 when the SUBSCRIBE failed or nothing
// arrived.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <typeinfo>
#include <vector>

#include "../common/locate.hpp"
#include "../common/net.hpp"
#include "../common/tls.hpp"
#include "../common/version.hpp"
#include "../lint/json.hpp"
#include "sipevents/agent/event_agent.hpp"
#include "sipevents/dialoginfo/dialog_package.hpp"
#include "sipevents/mwi/mwi_package.hpp"
#include "sipevents/winfo/winfo_package.hpp"
#include "sipevents/presence/presence_package.hpp"
#include "sipevents/rls/list_view.hpp"

namespace st = sipevents::transport;
namespace ev = sipevents::events;
namespace sa = sipevents::agent;
namespace pr = sipevents::presence;
namespace di = sipevents::dialoginfo;
namespace mw = sipevents::mwi;
namespace wi = sipevents::winfo;
namespace rl = sipevents::rls;
using sipevents::transaction::peer;
using sipevents::transaction::transport_kind;

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: sipevents-watcher --event PKG --from URI (--server udp|tcp|tls:HOST:PORT | --dns HOST:PORT) [--ca FILE]\n"
               "                         [--id ID] [--accept TYPE] [--expires N] [--count N | --duration S] [--text]\n"
               "                         [--direct] [--list] [--user NAME --password PW]\n"
               "                         TARGET-URI\n"
               "       sipevents-watcher --event PKG --unsolicited --listen udp|tcp:HOST:PORT [--count N | --duration S] [--text]\n");
  return 2;
}

void notes_json(std::string& out, const std::vector<pr::note>& notes) {
  out += "[";
  for (std::size_t i = 0; i < notes.size(); ++i) {
    if (i) out += ",";
    lint::json_string(out, notes[i].text);
  }
  out += "]";
}

/// {"entity", "tuples":[{"id","basic","contact","priority","notes"}], "notes",
///  "activities", "moods", "place_type"}: what a softphone shows of a buddy.
void presence_json(std::string& out, const pr::presence_document& d) {
  out += "{\"entity\":";
  lint::json_string(out, d.entity);
  out += ",\"tuples\":[";
  for (std::size_t i = 0; i < d.tuples.size(); ++i) {
    const auto& t = d.tuples[i];
    if (i) out += ",";
    out += "{\"id\":";
    lint::json_string(out, t.id);
    out += ",\"basic\":";
    if (t.basic == pr::basic_status::none) out += "null";
    else lint::json_string(out, pr::to_string(t.basic));
    out += ",\"contact\":";
    if (t.contact) lint::json_string(out, t.contact->uri);
    else out += "null";
    out += ",\"notes\":";
    notes_json(out, t.notes);
    out += "}";
  }
  out += "],\"notes\":";
  notes_json(out, d.notes);
  std::vector<std::string> acts, moods;
  std::string place;
  for (const auto& p : d.persons) {
    for (auto a : p.activities) acts.emplace_back(a == pr::activity::other ? p.activity_other : pr::to_string(a));
    for (const auto& m : p.moods) moods.push_back(m.token == "other" ? m.text : m.token);
    if (p.place_type) place = p.place_type->token == "other" ? p.place_type->text : p.place_type->token;
  }
  auto list = [&](const std::vector<std::string>& v) {
    out += "[";
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i) out += ",";
      lint::json_string(out, v[i]);
    }
    out += "]";
  };
  out += ",\"activities\":";
  list(acts);
  out += ",\"moods\":";
  list(moods);
  out += ",\"place_type\":";
  if (place.empty()) out += "null";
  else lint::json_string(out, place);
  out += "}";
}

/// A dialog-info document as JSON: the lamp (what a BLF key shows) and each dialog.
void dialog_json(std::string& out, const di::dialog_info& d) {
  const di::blf_view v = di::blf(d);
  out += "{\"version\":" + std::to_string(d.version) + ",\"state\":";
  lint::json_string(out, d.full ? "full" : "partial");
  out += ",\"lamp\":";
  lint::json_string(out, di::to_string(v.state));
  out += ",\"caller\":";
  if (v.caller) lint::json_string(out, v.caller->uri);
  else out += "null";
  out += ",\"dialogs\":[";
  for (std::size_t i = 0; i < d.dialogs.size(); ++i) {
    const auto& x = d.dialogs[i];
    out += i ? ",{\"id\":" : "{\"id\":";
    lint::json_string(out, x.id);
    out += ",\"state\":";
    lint::json_string(out, di::to_string(x.state));
    out += ",\"direction\":";
    lint::json_string(out, di::to_string(x.dir));
    out += ",\"event\":";
    lint::json_string(out, di::to_string(x.event));
    out += ",\"remote\":";
    if (x.remote && x.remote->identity) lint::json_string(out, x.remote->identity->uri);
    else out += "null";
    out += "}";
  }
  out += "]}";
}

/// A message summary as JSON: waiting, account and the counts per message class.
void summary_json(std::string& out, const mw::message_summary& s) {
  out += std::string("{\"waiting\":") + (s.waiting ? "true" : "false") + ",\"account\":";
  if (s.account.empty()) out += "null";
  else lint::json_string(out, s.account);
  out += ",\"counts\":[";
  for (std::size_t i = 0; i < s.counts.size(); ++i) {
    const auto& c = s.counts[i];
    out += i ? ",{\"class\":" : "{\"class\":";
    lint::json_string(out, c.context);
    out += ",\"new\":" + std::to_string(c.new_msgs) + ",\"old\":" + std::to_string(c.old_msgs);
    if (c.new_urgent && c.old_urgent)
      out += ",\"new_urgent\":" + std::to_string(*c.new_urgent) + ",\"old_urgent\":" + std::to_string(*c.old_urgent);
    out += "}";
  }
  out += "],\"messages\":" + std::to_string(s.messages.size()) + "}";
}

/// Watcher information as JSON: each watcher of each list with its status and event.
void winfo_json(std::string& out, const wi::watcherinfo& d) {
  out += "{\"version\":" + std::to_string(d.version) + ",\"watchers\":[";
  bool first = true;
  for (const auto& l : d.lists) {
    for (const auto& w : l.watchers) {
      out += first ? "{\"resource\":" : ",{\"resource\":";
      first = false;
      lint::json_string(out, l.resource);
      out += ",\"watcher\":";
      lint::json_string(out, w.uri);
      out += ",\"id\":";
      lint::json_string(out, w.id);
      out += ",\"status\":";
      lint::json_string(out, wi::to_string(w.status));
      out += ",\"event\":";
      lint::json_string(out, wi::to_string(w.event));
      out += "}";
    }
  }
  out += "]}";
}

/// One human line: "NOTIFY presence sip:alice@example.com active: open sip:... (note)".
std::string notify_text(const ev::client_event& e, const std::string& resource, const rl::list_view* list = nullptr) {
  const auto& n = *e.notify;
  std::string line = "NOTIFY " + std::string(n.event() ? n.event()->type : std::string_view{}) + " " + resource + " " +
                     std::string(ev::to_string(e.state));
  if (list && e.body.ok && e.body.state.type() == typeid(rl::list_notify)) {
    line += ": list " + list->uri() + " version " + std::to_string(list->version().value_or(0)) + ":";
    for (const auto& r : list->resources()) {
      line += " " + r.uri;
      for (const auto& x : r.instances) {
        line += " " + std::string(rl::to_string(x.state));
        if (!x.reason.empty()) line += "/" + x.reason;
        if (x.body && x.body->ok && x.body->state.type() == typeid(pr::presence_document))
          for (const auto& t : std::any_cast<const pr::presence_document&>(x.body->state).tuples)
            line += " " + std::string(pr::to_string(t.basic));
        else if (x.body && x.body->ok && x.body->state.type() == typeid(di::dialog_info))
          line += " " + std::string(di::to_string(di::blf(std::any_cast<const di::dialog_info&>(x.body->state)).state));
      }
      line += ";";
    }
  } else if (e.body.ok && e.body.state.type() == typeid(pr::presence_document)) {
    const auto& d = std::any_cast<const pr::presence_document&>(e.body.state);
    line += ":";
    for (const auto& t : d.tuples) {
      line += " " + std::string(pr::to_string(t.basic));
      if (t.contact) line += " " + t.contact->uri;
      for (const auto& no : t.notes) line += " (" + no.text + ")";
    }
    for (const auto& p : d.persons)
      for (auto a : p.activities) line += " [" + std::string(pr::to_string(a)) + "]";
  } else if (e.body.ok && e.body.state.type() == typeid(di::dialog_info)) {
    const auto& d = std::any_cast<const di::dialog_info&>(e.body.state);
    const auto v = di::blf(d);
    line += ": " + std::string(di::to_string(v.state));
    if (v.caller) line += " " + v.caller->uri;
    line += " (" + std::to_string(d.dialogs.size()) + " dialogs)";
  } else if (e.body.ok && e.body.state.type() == typeid(wi::watcherinfo)) {
    const auto& d = std::any_cast<const wi::watcherinfo&>(e.body.state);
    line += ":";
    for (const auto& l : d.lists)
      for (const auto& w : l.watchers)
        line += " " + w.uri + " " + std::string(wi::to_string(w.status)) + "/" + std::string(wi::to_string(w.event));
  } else if (e.body.ok && e.body.state.type() == typeid(mw::message_summary)) {
    const auto& m = std::any_cast<const mw::message_summary&>(e.body.state);
    line += std::string(": messages waiting: ") + (m.waiting ? "yes" : "no");
    for (const auto& c : m.counts) line += " " + c.context + " " + std::to_string(c.new_msgs) + "/" + std::to_string(c.old_msgs);
  } else if (!e.body.ok && !e.body.error.empty()) {
    line += ": unreadable body: " + e.body.error;
  } else {
    line += ": " + std::to_string(n.body().size()) + " bytes of " +
            (n.content_type() ? std::string(n.content_type()->subtype) : std::string("nothing"));
  }
  return line + "\n";
}

/// `,"presence":{...}` (or dialog, winfo, summary) for a body its package read,
/// `,"parse_error":"why"` for one it could not; nothing otherwise.
void decoded_json(std::string& line, const ev::decoded& d) {
  if (d.ok && d.state.type() == typeid(pr::presence_document)) {
    line += ",\"presence\":";
    presence_json(line, std::any_cast<const pr::presence_document&>(d.state));
  } else if (d.ok && d.state.type() == typeid(di::dialog_info)) {
    line += ",\"dialog\":";
    dialog_json(line, std::any_cast<const di::dialog_info&>(d.state));
  } else if (d.ok && d.state.type() == typeid(wi::watcherinfo)) {
    line += ",\"winfo\":";
    winfo_json(line, std::any_cast<const wi::watcherinfo&>(d.state));
  } else if (d.ok && d.state.type() == typeid(mw::message_summary)) {
    line += ",\"summary\":";
    summary_json(line, std::any_cast<const mw::message_summary&>(d.state));
  } else if (!d.ok && !d.error.empty()) {
    line += ",\"parse_error\":";
    lint::json_string(line, d.error);
  }
}

/// A resource list as it stands: {"uri","version","full","resources":[{"uri","name",
/// "instances":[{"id","state","reason","content_type", parsed body}]}]}.
void list_json(std::string& out, const rl::list_view& v, bool full) {
  out += "{\"uri\":";
  lint::json_string(out, v.uri());
  out += ",\"version\":" + std::to_string(v.version().value_or(0)) + ",\"full\":" + (full ? "true" : "false");
  out += ",\"resources\":[";
  for (std::size_t i = 0; i < v.resources().size(); ++i) {
    const auto& r = v.resources()[i];
    out += i ? ",{\"uri\":" : "{\"uri\":";
    lint::json_string(out, r.uri);
    out += ",\"name\":";
    lint::json_string(out, r.name);
    out += ",\"instances\":[";
    for (std::size_t k = 0; k < r.instances.size(); ++k) {
      const auto& x = r.instances[k];
      out += k ? ",{\"id\":" : "{\"id\":";
      lint::json_string(out, x.id);
      out += ",\"state\":";
      lint::json_string(out, rl::to_string(x.state));
      out += ",\"reason\":";
      if (x.reason.empty()) out += "null";
      else lint::json_string(out, x.reason);
      out += ",\"content_type\":";
      if (x.content_type.empty()) out += "null";
      else lint::json_string(out, x.content_type);
      if (x.body) decoded_json(out, *x.body);
      out += "}";
    }
    out += "]}";
  }
  out += "]}";
}

std::string notify_json(const ev::client_event& e, const std::string& resource, const rl::list_view* list = nullptr) {
  std::string line = "{\"event\":";
  const auto& n = *e.notify;
  lint::json_string(line, n.event() ? n.event()->type : std::string_view{});
  line += ",\"resource\":";
  lint::json_string(line, resource);
  line += ",\"state\":";
  lint::json_string(line, ev::to_string(e.state));
  line += ",\"reason\":";
  if (e.state == ev::sub_state::terminated && n.subscription_state() && !n.subscription_state()->reason.empty())
    lint::json_string(line, n.subscription_state()->reason);
  else
    line += "null";
  line += ",\"expires\":";
  line += e.expires ? std::to_string(*e.expires) : "null";
  line += ",\"content_type\":";
  if (const auto* ct = n.content_type()) lint::json_string(line, std::string(ct->type) + "/" + std::string(ct->subtype));
  else line += "null";
  line += ",\"body\":";
  lint::json_string(line, n.body());
  if (n.event() &&
      (n.event()->package == "presence" || n.event()->package == "dialog" || n.event()->package == "message-summary" ||
       n.event()->package == "presence.winfo") &&
      !n.body().empty()) {
    // The parsed document, or why it could not be read (the subscription stays).
    if (list && e.body.ok && e.body.state.type() == typeid(rl::list_notify)) {
      line += ",\"list\":";
      list_json(line, *list, std::any_cast<const rl::list_notify&>(e.body.state).meta.full);
    } else if (!e.body.ok && e.body.error.empty()) {
      line += ",\"parse_error\":\"\"";
    } else {
      decoded_json(line, e.body);
    }
  }
  line += "}\n";
  return line;
}

/// --unsolicited: prints the NOTIFYs of `event` that come without a subscription.
int listen_unsolicited(const std::string& event, const std::string& where, long count, double duration, bool text) {
  st::runtime rt;
  rt.set_log([](st::log_level l, std::string_view s) {
    if (l >= st::log_level::warning) std::fprintf(stderr, "%.*s\n", int(s.size()), s.data());
  });
  peer bound;
  if (auto ec = rt.listen(where, &bound)) {
    std::fprintf(stderr, "cannot listen on %s: %s\n", where.c_str(), ec.message().c_str());
    return 1;
  }
  std::printf("listening on %s for unsolicited %s NOTIFYs\n", sipevents::transaction::to_string(bound).c_str(),
              event.c_str());
  std::fflush(stdout);
  sa::event_agent agent(rt);
  pr::presence_package presence;
  di::dialog_package dialog;
  mw::mwi_package mwi;
  const ev::package* pkg = event == "presence" ? static_cast<const ev::package*>(&presence)
                           : event == "dialog" ? static_cast<const ev::package*>(&dialog)
                           : event == "message-summary" ? static_cast<const ev::package*>(&mwi)
                                                        : nullptr;
  long seen = 0;
  int rc = 1;
  agent.accept_unsolicited(event, [&](const sa::unsolicited_notify& n) {
    ev::client_event e;
    e.what = ev::client_event::kind::notify;
    e.state = ev::sub_state::active;
    e.notify = *n.msg;
    e.body = n.body;
    const std::string resource(n.msg->to().addr.text);
    std::fputs(text ? notify_text(e, resource).c_str() : notify_json(e, resource).c_str(), stdout);
    std::fflush(stdout);
    rc = 0;
    if (count > 0 && ++seen >= count) asio::post(rt.context(), [&rt] { rt.stop(); });
    return true;
  }, pkg);
  asio::steady_timer limit(rt.context());
  if (duration > 0) {
    limit.expires_after(std::chrono::milliseconds(long(duration * 1000)));
    limit.async_wait([&](std::error_code ec) { if (!ec) rt.stop(); });
  }
  asio::signal_set signals(rt.context(), SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code ec, int) { if (!ec) rt.stop(); });
  rt.run();
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  if (tools::print_version(argc, argv, "sipevents-watcher")) return 0;
  ev::subscribe_params p;
  std::string server;
  long count = -1;
  double duration = -1;
  bool text = false, direct = false, unsolicited = false, as_list = false;
  std::string listen_on, dns;
  tools::login login;
  tools::tls_options tls;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&](std::string& dst) {
      if (i + 1 >= argc) return false;
      dst = argv[++i];
      return true;
    };
    std::string n;
    if (a == "--event") { if (!val(p.event)) return usage(); }
    else if (a == "--from") { if (!val(p.from)) return usage(); }
    else if (a == "--server" || a == "--via") { if (!val(server)) return usage(); }
    else if (a == "--ca") { if (!val(n)) return usage(); tls.take(a, n); }
    else if (a == "--id") { if (!val(p.event_id)) return usage(); }
    else if (a == "--accept") { if (!val(n)) return usage(); p.accept.push_back(n); }
    else if (a == "--expires") { if (!val(n)) return usage(); p.expires = std::uint32_t(std::strtoul(n.c_str(), nullptr, 10)); }
    else if (a == "--count") { if (!val(n)) return usage(); count = std::atol(n.c_str()); }
    else if (a == "--duration") { if (!val(n)) return usage(); duration = std::atof(n.c_str()); }
    else if (a == "--text") text = true;
    else if (a == "--direct") direct = true;
    else if (a == "--list") as_list = true;
    else if (a == "--unsolicited") unsolicited = true;
    else if (a == "--listen") { if (!val(listen_on)) return usage(); }
    else if (a == "--dns") { if (!val(dns)) return usage(); }
    else if (a == "--user" || a == "--password") { if (!val(n)) return usage(); login.take(a, n); }
    else if (!a.empty() && a[0] == '-') return usage();
    else p.to = a;
  }
  if (unsolicited) {
    if (p.event.empty() || listen_on.empty() || !p.to.empty() || !server.empty() || as_list) return usage();
    return listen_unsolicited(p.event, listen_on, count, duration, text);
  }
  peer srv;
  if (p.event.empty() || p.from.empty() || p.to.empty() || !listen_on.empty() || !login.complete() ||
      server.empty() == dns.empty())
    return usage();
  if (!dns.empty()) {
    std::string err;
    const auto targets = tools::locate(dns, p.to, err);
    if (targets.empty()) {
      std::fprintf(stderr, "%s\n", err.c_str());
      return err.rfind("bad --dns", 0) == 0 ? 2 : 1;
    }
    srv = targets.front();
  } else {
    if (!sipevents::transaction::parse_peer(server, srv)) return usage();
    tools::expect_name(srv, p.to);
  }

  st::runtime_config rcfg;
  if (as_list) {
    rcfg.layer.profile.supported.push_back(std::string(rl::eventlist_tag));
    // A list NOTIFY carries every resource's document: over TCP it may pass 64 KiB.
    rcfg.layer.limits.max_message_size = rcfg.layer.limits.max_header_block + rcfg.layer.limits.max_body;
  }
  st::runtime rt(rcfg);
  login.attach(rt);
  if (std::string err; !tls.attach(rt, err)) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 2;
  }
  rt.set_log([](st::log_level l, std::string_view s) {
    if (l >= st::log_level::warning) std::fprintf(stderr, "%.*s\n", int(s.size()), s.data());
  });
  std::string local = tools::local_address_for(srv.host);
  peer bound;
  if (auto ec = rt.listen(tools::listen_kind(srv) + ":" + tools::bracket(local) + ":0", &bound)) {
    std::fprintf(stderr, "listen: %s\n", ec.message().c_str());
    return 1;
  }
  p.contact = "sip:watcher@" + tools::bracket(local) + ":" + std::to_string(bound.port) + tools::transport_param(srv);
  sa::agent_config cfg;
  cfg.outbound = srv;
  cfg.outbound_in_dialog = !direct;
  sa::event_agent agent(rt, cfg);

  int rc = 1;
  long seen = 0;
  bool leaving = false;
  std::uint64_t id = 0;
  asio::steady_timer limit(rt.context());
  auto leave = [&] {
    if (leaving) return;
    leaving = true;
    agent.unsubscribe(id);
    // The final NOTIFY may never come: give up after 64*T1 like the subscriber does.
    limit.expires_after(std::chrono::seconds(33));
    limit.async_wait([&](std::error_code ec) { if (!ec) rt.stop(); });
  };
  std::string resource = p.to;
  pr::presence_package presence;  // decodes PIDF for --event presence
  di::dialog_package dialog;      // decodes dialog-info for --event dialog
  mw::mwi_package mwi;            // decodes simple-message-summary for --event message-summary
  wi::winfo_package winfo;        // decodes watcherinfo+xml for --event presence.winfo
  ev::package* member = p.event == "presence" ? static_cast<ev::package*>(&presence)
                        : p.event == "dialog"  ? static_cast<ev::package*>(&dialog)
                        : p.event == "message-summary" ? static_cast<ev::package*>(&mwi)
                        : p.event == "presence.winfo" ? static_cast<ev::package*>(&winfo)
                                                      : nullptr;
  std::optional<rl::list_reader> reader;
  rl::list_view view;
  if (as_list) {
    if (!member) return usage();
    reader.emplace(*member);
    rl::make_list_subscription(p, *reader);
  }
  id = agent.subscribe(p, [&](std::uint64_t sid, const ev::client_event& e) {
    using K = ev::client_event::kind;
    if (e.what == K::notify) {
      const rl::list_view* lv = nullptr;
      if (const auto* ln = std::any_cast<rl::list_notify>(&e.body.state); ln && e.body.ok) {
        if (view.apply(*ln)) lv = &view;
        else agent.refresh(sid);  // a NOTIFY was lost: ask for the whole list again
      }
      std::fputs(text ? notify_text(e, resource, lv).c_str() : notify_json(e, resource, lv).c_str(), stdout);
      std::fflush(stdout);
      rc = 0;
      if (count > 0 && ++seen >= count) asio::post(rt.context(), leave);
    } else if (e.what == K::terminated) {
      if (e.why == ev::reason::failed) {
        std::fprintf(stderr, "subscription failed: %u\n", e.status);
        rc = 1;
      }
      rt.stop();
    }
  }, reader ? static_cast<const ev::package*>(&*reader) : member);
  if (duration > 0) {
    limit.expires_after(std::chrono::milliseconds(long(duration * 1000)));
    limit.async_wait([&](std::error_code ec) { if (!ec) leave(); });
  }
  // Ctrl-C or SIGTERM unsubscribes like --count does; a second one quits at once.
  asio::signal_set signals(rt.context(), SIGINT, SIGTERM);
  std::function<void(std::error_code, int)> on_signal = [&](std::error_code ec, int) {
    if (ec) return;
    if (leaving) {
      rt.stop();
      return;
    }
    leave();
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);
  rt.run();
  return rc;
}
