// sipevents-watcher: subscribe to any event package and print each NOTIFY.
//
//   sipevents-watcher --event PKG --from URI (--server udp|tcp|tls:HOST:PORT | --dns HOST:PORT) [--ca FILE]
//                     [--id ID] [--accept TYPE] [--expires N] [--count N] [--duration S] [--text]
//                     [--direct] [--list] [--user NAME --password PW]
//                     [--throttle S] [--max-rate R] [--min-rate R | --adaptive-min-rate R]
//                     TARGET-URI
//   sipevents-watcher --event PKG --unsolicited --listen udp|tcp:HOST:PORT [--count N] [--duration S] [--text]
//
// --unsolicited subscribes to nothing: it listens and prints the NOTIFYs of PKG that
// arrive without a subscription (RFC 3842 4: a PBX lighting a phone's voicemail lamp
// without a SUBSCRIBE), answering them 200; NOTIFYs of other packages get 481.
// The SUBSCRIBE goes to --server; its refreshes and the unsubscribe go there too (an
// outbound proxy), or with --direct to the notifier's Contact, as a UA without a proxy
// sends them: a notifier node that takes the subscription over moves them to itself.
// --dns HOST:PORT sends the SUBSCRIBE where TARGET-URI's domain resolves by RFC 3263
// (NAPTR, SRV, A/AAAA asked of that DNS server) instead of to --server; a transport
// error, a timeout or a 503 tries the next target (RFC 3263 4.3).
// --via is another name for --server. Over tls: the server's certificate must name the
// domain of TARGET-URI (RFC 5922), chained to --ca or the system's CAs.
//
// --list subscribes to a resource list (RFC 4662): it sends Supported: eventlist and
// accepts multipart/related with RLMI; each NOTIFY's line then holds the whole list
// as it stands ("list": uri, version, whether this NOTIFY was full, and each resource
// with its instances: state, reason, and the parsed body under its package's key as
// below). A partial NOTIFY that skips a version refreshes the subscription.
//
// --accept application/pidf-diff+xml (with --accept application/pidf+xml) asks a
// presence notifier for partial notification (RFC 5263): the lines show the document
// the diffs add up to, with "pidf_diff": {version, full}; a lost version refreshes the
// subscription for full state ("parse_error": "resync: ..."), and so does a diff that
// cannot be read ("parse_error" says why).
//
// --throttle, --max-rate, --min-rate and --adaptive-min-rate ask the notifier to
// pace its NOTIFYs (RFC 6446; throttle is the older draft's name for 1/max-rate, in
// seconds); each line's "rate" is what the notifier says it applies (null: nothing).
//
// One JSON line per NOTIFY: event, resource, state, reason, expires, rate, content_type,
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
#include "../common/cli.hpp"
#include "../common/json.hpp"
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

tools::json notes_json(const std::vector<pr::note>& notes) {
  tools::json out = tools::json::array();
  for (const auto& n : notes) out.push_back(n.text);
  return out;
}

/// {"entity", "tuples":[{"id","basic","contact","notes"}], "notes", "activities",
///  "moods", "place_type"}: what a softphone shows of a buddy.
tools::json presence_json(const pr::presence_document& d) {
  tools::json out = {{"entity", d.entity}, {"tuples", tools::json::array()}};
  for (const auto& t : d.tuples)
    out["tuples"].push_back({{"id", t.id},
                             {"basic", t.basic == pr::basic_status::none ? tools::json(nullptr) : tools::json(pr::to_string(t.basic))},
                             {"contact", t.contact ? tools::json(t.contact->uri) : tools::json(nullptr)},
                             {"notes", notes_json(t.notes)}});
  out["notes"] = notes_json(d.notes);
  std::vector<std::string> acts, moods;
  std::string place;
  for (const auto& p : d.persons) {
    for (auto a : p.activities) acts.emplace_back(a == pr::activity::other ? p.activity_other : pr::to_string(a));
    for (const auto& m : p.moods) moods.push_back(m.token == "other" ? m.text : m.token);
    if (p.place_type) place = p.place_type->token == "other" ? p.place_type->text : p.place_type->token;
  }
  out["activities"] = acts;
  out["moods"] = moods;
  out["place_type"] = tools::or_null(place);
  return out;
}

/// A dialog-info document as JSON: the lamp (what a BLF key shows) and each dialog.
tools::json dialog_json(const di::dialog_info& d) {
  const di::blf_view v = di::blf(d);
  tools::json out = {{"version", d.version},
                     {"state", d.full ? "full" : "partial"},
                     {"lamp", di::to_string(v.state)},
                     {"caller", v.caller ? tools::json(v.caller->uri) : tools::json(nullptr)},
                     {"dialogs", tools::json::array()}};
  for (const auto& x : d.dialogs)
    out["dialogs"].push_back({{"id", x.id},
                              {"state", di::to_string(x.state)},
                              {"direction", di::to_string(x.dir)},
                              {"event", di::to_string(x.event)},
                              {"remote", x.remote && x.remote->identity ? tools::json(x.remote->identity->uri) : tools::json(nullptr)}});
  return out;
}

/// A message summary as JSON: waiting, account and the counts per message class.
tools::json summary_json(const mw::message_summary& s) {
  tools::json out = {{"waiting", s.waiting}, {"account", tools::or_null(s.account)}, {"counts", tools::json::array()}};
  for (const auto& c : s.counts) {
    tools::json one = {{"class", c.context}, {"new", c.new_msgs}, {"old", c.old_msgs}};
    if (c.new_urgent && c.old_urgent) {
      one["new_urgent"] = *c.new_urgent;
      one["old_urgent"] = *c.old_urgent;
    }
    out["counts"].push_back(std::move(one));
  }
  out["messages"] = s.messages.size();
  return out;
}

/// Watcher information as JSON: each watcher of each list with its status and event.
tools::json winfo_json(const wi::watcherinfo& d) {
  tools::json out = {{"version", d.version}, {"watchers", tools::json::array()}};
  for (const auto& l : d.lists)
    for (const auto& w : l.watchers)
      out["watchers"].push_back({{"resource", l.resource},
                                 {"watcher", w.uri},
                                 {"id", w.id},
                                 {"status", wi::to_string(w.status)},
                                 {"event", wi::to_string(w.event)}});
  return out;
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

/// "presence":{...} (or dialog, winfo, summary) in `line` for a body its package
/// read, "parse_error":"why" for one it could not; nothing otherwise.
void decoded_json(tools::json& line, const ev::decoded& d) {
  if (d.ok && d.state.type() == typeid(pr::presence_document))
    line["presence"] = presence_json(std::any_cast<const pr::presence_document&>(d.state));
  else if (d.ok && d.state.type() == typeid(di::dialog_info))
    line["dialog"] = dialog_json(std::any_cast<const di::dialog_info&>(d.state));
  else if (d.ok && d.state.type() == typeid(wi::watcherinfo))
    line["winfo"] = winfo_json(std::any_cast<const wi::watcherinfo&>(d.state));
  else if (d.ok && d.state.type() == typeid(mw::message_summary))
    line["summary"] = summary_json(std::any_cast<const mw::message_summary&>(d.state));
  else if (!d.ok && !d.error.empty())
    line["parse_error"] = d.error;
}

/// A resource list as it stands: {"uri","version","full","resources":[{"uri","name",
/// "instances":[{"id","state","reason","content_type", parsed body}]}]}.
tools::json list_json(const rl::list_view& v, bool full) {
  tools::json out = {{"uri", v.uri()}, {"version", v.version().value_or(0)}, {"full", full}, {"resources", tools::json::array()}};
  for (const auto& r : v.resources()) {
    tools::json res = {{"uri", r.uri}, {"name", r.name}, {"instances", tools::json::array()}};
    for (const auto& x : r.instances) {
      tools::json inst = {{"id", x.id},
                          {"state", rl::to_string(x.state)},
                          {"reason", tools::or_null(x.reason)},
                          {"content_type", tools::or_null(x.content_type)}};
      if (x.body) decoded_json(inst, *x.body);
      res["instances"].push_back(std::move(inst));
    }
    out["resources"].push_back(std::move(res));
  }
  return out;
}

/// {"max-rate":0.2,"throttle":5} from a Subscription-State, null when it says none.
tools::json rate_json(const ev::rate_request& r) {
  if (r.empty()) return nullptr;
  tools::json out = tools::json::object();
  if (r.max_rate) out["max-rate"] = *r.max_rate;
  if (r.min_rate) out["min-rate"] = *r.min_rate;
  if (r.adaptive_min_rate) out["adaptive-min-rate"] = *r.adaptive_min_rate;
  if (r.throttle) out["throttle"] = *r.throttle;
  return out;
}

std::string notify_json(const ev::client_event& e, const std::string& resource, const rl::list_view* list = nullptr,
                        const tools::json& extra = nullptr) {
  const auto& n = *e.notify;
  tools::json line = {{"event", std::string(n.event() ? n.event()->type : std::string_view{})},
                      {"resource", resource},
                      {"state", ev::to_string(e.state)}};
  line["reason"] = e.state == ev::sub_state::terminated && n.subscription_state()
                       ? tools::or_null(n.subscription_state()->reason)
                       : tools::json(nullptr);
  line["expires"] = e.expires ? tools::json(*e.expires) : tools::json(nullptr);
  // RFC 6446: the rate control the notifier applies, as it said it.
  line["rate"] = rate_json(e.rate);
  const auto* ct = n.content_type();
  line["content_type"] = ct ? tools::json(std::string(ct->type) + "/" + std::string(ct->subtype)) : tools::json(nullptr);
  line["body"] = std::string(n.body());
  if (n.event() &&
      (n.event()->package == "presence" || n.event()->package == "dialog" || n.event()->package == "message-summary" ||
       n.event()->package == "presence.winfo") &&
      !n.body().empty()) {
    // The parsed document, or why it could not be read (the subscription stays).
    if (list && e.body.ok && e.body.state.type() == typeid(rl::list_notify))
      line["list"] = list_json(*list, std::any_cast<const rl::list_notify&>(e.body.state).meta.full);
    else if (!e.body.ok && e.body.error.empty())
      line["parse_error"] = "";
    else
      decoded_json(line, e.body);
  }
  if (extra.is_object())
    for (const auto& [k, v] : extra.items()) line[k] = v;
  return tools::json_line(line);
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
  ev::subscribe_params p;
  std::string server;
  long count = -1;
  double duration = -1;
  bool text = false, direct = false, unsolicited = false, as_list = false;
  std::string listen_on, dns;
  tools::login login;
  tools::tls_options tls;
  tools::cli cli("sipevents-watcher", "Subscribe to an event package and print each NOTIFY (one JSON line, or --text).");
  CLI::App& app = cli.app();
  app.add_option("--event", p.event, "Event package: reg, presence, dialog, message-summary, presence.winfo, ...")->required();
  auto* from = app.add_option("--from", p.from, "The watcher's URI (From)")->check(tools::sip_uri());
  auto* srv_opt = app.add_option("--server,--via", server, "Send the SUBSCRIBE to udp|tcp|tls:HOST:PORT")
                      ->check(tools::transport_address());
  auto* dns_opt = app.add_option("--dns", dns, "Locate TARGET-URI's domain by RFC 3263, asking the DNS server at HOST:PORT")
                      ->check(tools::host_port())
                      ->excludes(srv_opt);
  tls.add_ca(app);
  app.add_option("--id", p.event_id, "Event id parameter");
  app.add_option("--accept", p.accept, "Accept a body type (repeatable)");
  app.add_option("--expires", p.expires, "Subscription duration asked, in seconds")->check(tools::within<std::uint32_t>(0, 4294967295u));
  app.add_option("--count", count, "Unsubscribe after N NOTIFYs")->check(tools::within<long>(1));
  app.add_option("--duration", duration, "Unsubscribe after S seconds (with --count: whichever comes first)")
      ->check(tools::within<double>(0, 31536000));
  // RFC 6446 rate control, asked in the Event header; the notifier answers what applies.
  double throttle = 0, max_rate = 0, min_rate = 0, adaptive_min_rate = 0;
  auto* throttle_opt = app.add_option("--throttle", throttle, "At least S seconds between two NOTIFYs (Event throttle)")
                           ->check(tools::within<double>(0.001, 86400));
  auto* max_rate_opt = app.add_option("--max-rate", max_rate, "At most R NOTIFYs per second (RFC 6446 max-rate)")
                           ->check(tools::within<double>(0.000001, 1000));
  auto* min_rate_opt = app.add_option("--min-rate", min_rate, "At least R NOTIFYs per second, changed or not (RFC 6446 min-rate)")
                           ->check(tools::within<double>(0.000001, 1000));
  auto* adaptive_opt = app.add_option("--adaptive-min-rate", adaptive_min_rate,
                                      "At least R NOTIFYs per second on average (RFC 6446 adaptive-min-rate)")
                           ->check(tools::within<double>(0.000001, 1000))
                           ->excludes(min_rate_opt);
  app.add_flag("--text", text, "A readable line per NOTIFY instead of JSON");
  app.add_flag("--direct", direct, "Refresh at the notifier's Contact, not through --server");
  app.add_flag("--list", as_list, "Subscribe to a resource list (RFC 4662)");
  auto* unsolicited_opt = app.add_flag("--unsolicited", unsolicited, "Subscribe to nothing: print the NOTIFYs that arrive unasked");
  auto* listen_opt = app.add_option("--listen", listen_on, "With --unsolicited: listen on udp|tcp:HOST:PORT")
                         ->check(tools::transport_address())
                         ->needs(unsolicited_opt);
  unsolicited_opt->needs(listen_opt)->excludes(from)->excludes(srv_opt)->excludes(dns_opt);
  login.add(app);
  auto* target = app.add_option("TARGET-URI", p.to, "The resource watched")->check(tools::sip_uri())->excludes(unsolicited_opt);
  if (int rc = cli.parse(argc, argv); rc >= 0) return rc;
  if (*throttle_opt) p.rate.throttle = throttle;
  if (*max_rate_opt) p.rate.max_rate = max_rate;
  if (*min_rate_opt) p.rate.min_rate = min_rate;
  if (*adaptive_opt) p.rate.adaptive_min_rate = adaptive_min_rate;
  if (unsolicited) {
    if (as_list) return cli.refuse("--list is for subscriptions, not --unsolicited");
    return listen_unsolicited(p.event, listen_on, count, duration, text);
  }
  if (from->empty()) return cli.refuse("--from is required");
  if (target->empty()) return cli.refuse("TARGET-URI is required");
  if (server.empty() && dns.empty()) return cli.refuse("--server or --dns is required");
  peer srv;
  std::vector<peer> fallbacks;  // RFC 3263 4.3: the other located targets, in order
  if (std::string err; !dns.empty() && !tools::locate_outbound(dns, p.to, srv, fallbacks, err)) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return err.rfind("bad --dns", 0) == 0 ? 2 : 1;
  } else if (dns.empty()) {
    sipevents::transaction::parse_peer(server, srv);  // checked by the option
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
  cfg.fallbacks = fallbacks;
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
  pr::pidf_view presence_view;  // partial PIDF (RFC 5263): the state the diffs build
  if (as_list) {
    if (!member) return cli.refuse("--list needs --event presence, dialog, message-summary or presence.winfo");
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
      if (const auto* u = std::any_cast<pr::pidf_update>(&e.body.state); u && e.body.ok) {
        // Shown as the document the diffs add up to; a gap asks for full state.
        ev::client_event shown = e;
        tools::json extra = {{"pidf_diff", {{"version", u->version}, {"full", u->full}}}};
        if (std::string why; presence_view.apply(*u, &why) == pr::pidf_view::result::applied) {
          shown.body.state = presence_view.document();
        } else {
          shown.body.ok = false;
          shown.body.error = "resync: " + why;
          agent.refresh(sid);
        }
        std::fputs(text ? notify_text(shown, resource).c_str() : notify_json(shown, resource, nullptr, extra).c_str(), stdout);
        std::fflush(stdout);
        rc = 0;
        if (count > 0 && ++seen >= count) asio::post(rt.context(), leave);
        return;
      }
      if (const auto* ct = e.notify->content_type(); ct && ct->matches("application", "pidf-diff+xml") && !e.body.ok) {
        // A partial document we cannot read leaves the state unknown: full state again.
        agent.refresh(sid);
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
