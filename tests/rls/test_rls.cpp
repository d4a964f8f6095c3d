// Resource lists (RFC 4662, RFC 4826): the multipart and RLMI codecs, list loading
// with its refusals, and a list subscription between a subscriber (list_reader,
// list_view) and a notifier (subscription_server with a list_server), at exact instants.
#include <zlib.h>

#include <fstream>
#include <sstream>

#include "events/events_support.hpp"
#include "sipevents/message/multipart.hpp"
#include "sipevents/rls/list_server.hpp"
#include "sipevents/rls/list_view.hpp"

using namespace evtest;
namespace rl = sipevents::rls;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(SIPEVENTS_RLS_FIXTURES) + "/" + name, std::ios::binary);
  REQUIRE(in);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<rl::served_list> load(const std::string& xml, rl::list_limits limits = {}) {
  rl::resource_lists doc;
  std::string err;
  REQUIRE(rl::decode(xml, doc, &err));
  std::vector<rl::served_list> out;
  INFO(err);
  REQUIRE(rl::flatten(doc, "example.com", out, &err, limits));
  return out;
}

std::string refusal(const std::string& xml, rl::list_limits limits = {}) {
  rl::resource_lists doc;
  std::string err;
  REQUIRE(rl::decode(xml, doc, &err));
  std::vector<rl::served_list> out;
  CHECK_FALSE(rl::flatten(doc, "example.com", out, &err, limits));
  return err;
}

}  // namespace

TEST_CASE("multipart: encode and decode round-trip, CRLF or LF, preamble and epilogue ignored") {
  sm::multipart m;
  m.boundary = "b1";
  sm::mime_part a;
  a.headers = {{"Content-ID", "<x@h>"}, {"Content-Type", "text/plain"}};
  a.body = "one\r\ntwo";
  sm::mime_part b;
  b.headers = {{"Content-Type", "application/pidf+xml"}};
  b.body = "";
  m.parts = {a, b};
  const std::string text = sm::encode(m);
  sm::multipart back;
  std::string err;
  REQUIRE(sm::decode(text, "b1", back, &err));
  REQUIRE(back.parts.size() == 2);
  CHECK(back.parts[0].body == "one\r\ntwo");
  CHECK(back.parts[0].content_id() == "x@h");
  CHECK(back.parts[1].content_type() == "application/pidf+xml");
  CHECK(back.parts[1].body.empty());

  REQUIRE(sm::decode("preamble\n--b1\ncontent-type: text/plain\n folded\n\nhello\n--b1--\nepilogue", "b1", back));
  REQUIRE(back.parts.size() == 1);
  CHECK(back.parts[0].header("Content-Type") == "text/plain folded");
  CHECK(back.parts[0].body == "hello");

  // A boundary that a body holds is grown until no body does.
  a.body = "--tok in here";
  CHECK(sm::choose_boundary({a}, "tok") != "tok");
  CHECK(a.body.find(sm::choose_boundary({a}, "tok")) == std::string::npos);
}

TEST_CASE("multipart: what is not a multipart body is refused with the reason, at every truncation") {
  sm::multipart out;
  std::string err;
  CHECK_FALSE(sm::decode("no delimiter", "b1", out, &err));
  CHECK(err == "no delimiter line");
  CHECK_FALSE(sm::decode("--b1\r\n\r\nbody\r\n", "b1", out, &err));
  CHECK(err == "no close delimiter");
  CHECK_FALSE(sm::decode("--b1\r\nnot a header\r\n\r\nx\r\n--b1--", "b1", out, &err));
  CHECK(err == "bad part header line");
  sm::multipart_limits few;
  few.max_parts = 1;
  CHECK_FALSE(sm::decode("--b1\r\n\r\na\r\n--b1\r\n\r\nb\r\n--b1--", "b1", out, &err, few));
  CHECK(err == "too many parts");
  CHECK_FALSE(sm::decode("--b\r\n\r\nx\r\n--b--", "", out, &err));
  // The RFC 4662 example body cut anywhere: refused or read, never past its end.
  const std::string body = fixture("rfc4662-notify-body.txt");
  REQUIRE(sm::decode(body, "50UBfW7LSCVLtggUPe5z", out, &err));
  CHECK(out.parts.size() == 2);
  for (std::size_t n = 0; n < body.size(); ++n) {
    const bool ok = sm::decode(std::string_view(body).substr(0, n), "50UBfW7LSCVLtggUPe5z", out, &err);
    // Only a cut inside the epilogue (after the close delimiter) still reads.
    CHECK(ok == (n >= body.rfind("--50UBfW7LSCVLtggUPe5z--") + 24));
  }
}

TEST_CASE("rlmi: the RFC 4662 example decodes and round-trips") {
  rl::rlmi doc;
  std::string err;
  REQUIRE(rl::decode(fixture("rfc4662-rlmi-full.xml"), doc, &err));
  CHECK(doc.uri == "sip:adam-friends@pres.example.com");
  CHECK(doc.version == 1);
  CHECK(doc.full);
  REQUIRE(doc.names.size() == 2);
  CHECK(doc.names[1].lang == "de");
  REQUIRE(doc.resources.size() == 4);
  CHECK(doc.resources[0].names[0].text == "Bob Smith");
  REQUIRE(doc.resources[0].instances.size() == 1);
  CHECK(doc.resources[0].instances[0].id == "juwigmtboe");
  CHECK(doc.resources[0].instances[0].cid == "bUZBsM@pres.example.com");
  CHECK(doc.resources[2].instances.empty());
  rl::rlmi again;
  REQUIRE(rl::decode(rl::encode(doc), again, &err));
  CHECK(again == doc);
}

TEST_CASE("rlmi: what RFC 4662 does not allow is refused with the reason") {
  rl::rlmi doc;
  std::string err;
  const std::string head = "<list xmlns=\"urn:ietf:params:xml:ns:rlmi\" ";
  CHECK_FALSE(rl::decode("<list/>", doc, &err));
  CHECK(err == "root is not an RLMI list");
  CHECK_FALSE(rl::decode(head + "version=\"1\" fullState=\"true\"/>", doc, &err));
  CHECK(err == "list without uri");
  CHECK_FALSE(rl::decode(head + "uri=\"sip:l@h\" fullState=\"true\"/>", doc, &err));
  CHECK(err == "list without a version number");
  CHECK_FALSE(rl::decode(head + "uri=\"sip:l@h\" version=\"1\" fullState=\"maybe\"/>", doc, &err));
  CHECK(err == "list without fullState true or false");
  CHECK_FALSE(rl::decode(head + "uri=\"sip:l@h\" version=\"1\" fullState=\"0\"><resource uri=\"sip:a@h\">"
                                "<instance id=\"i\" state=\"sleeping\"/></resource></list>",
                         doc, &err));
  CHECK(err == "instance i without a known state");
  CHECK_FALSE(rl::decode(head + "uri=\"sip:l@h\" version=\"1\" fullState=\"0\"><resource/></list>", doc, &err));
  CHECK(err == "resource without uri");
}

TEST_CASE("resource lists: the RFC 4826 example decodes - its XCAP references are refused at load, by name") {
  rl::resource_lists doc;
  std::string err;
  REQUIRE(rl::decode(fixture("rfc4826-resource-lists.xml"), doc, &err));
  REQUIRE(doc.lists.size() == 1);
  CHECK(doc.lists[0].name == "friends");
  REQUIRE(doc.lists[0].entries.size() == 2);
  CHECK(doc.lists[0].entries[0].display_name == "Bill Doe");
  CHECK(doc.lists[0].entries[1].what == rl::list_entry::kind::entry_ref);
  REQUIRE(doc.lists[0].lists.size() == 1);
  CHECK(doc.lists[0].lists[0].display_name == "Close Friends");
  CHECK(doc.lists[0].lists[0].entries[2].what == rl::list_entry::kind::external);
  rl::resource_lists again;
  REQUIRE(rl::decode(rl::encode(doc), again, &err));
  CHECK(again == doc);
  std::vector<rl::served_list> out;
  CHECK_FALSE(rl::flatten(doc, "example.com", out, &err));
  CHECK(err.starts_with("list sip:friends@example.com: entry-ref \"resource-lists/users/"));
}

TEST_CASE("resource lists: nested and named lists expand into one flat list without duplicates") {
  auto lists = load(fixture("buddies.xml"));
  REQUIRE(lists.size() == 2);
  CHECK(lists[0].uri == "sip:friends@example.com");
  CHECK(lists[0].name == "Friends");
  std::vector<std::string> keys;
  for (const auto& m : lists[0].members) keys.push_back(m.key);
  // bob, carol, then team's erin (a served list named as an entry), then work's dave
  // (bob again is dropped).
  CHECK(keys == std::vector<std::string>{"sip:bob@example.com", "sip:carol@example.com", "sip:erin@example.com",
                                         "sip:dave@example.com"});
  CHECK(lists[0].members[3].uri == "sip:dave@example.com;transport=udp");
  CHECK(lists[1].members.size() == 1);
}

TEST_CASE("resource lists: loops and oversized lists are refused at load with a clear message") {
  const std::string loop = R"(<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
    <list name="a"><entry uri="sip:x@example.com"/><entry uri="sip:b@example.com"/></list>
    <list name="b"><entry uri="sip:a@example.com"/></list></resource-lists>)";
  CHECK(refusal(loop) == "list sip:a@example.com includes itself: sip:a@example.com -> sip:b@example.com -> sip:a@example.com");
  const std::string self = R"(<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
    <list name="me"><list name="inner"><entry uri="sip:me@example.com"/></list></list></resource-lists>)";
  CHECK(refusal(self) == "list sip:me@example.com includes itself: sip:me@example.com -> sip:me@example.com");
  rl::list_limits small;
  small.max_resources = 2;
  CHECK(refusal(fixture("buddies.xml"), small) == "list sip:friends@example.com has more than 2 resources");
  small = {};
  small.max_lists = 1;
  CHECK(refusal(fixture("buddies.xml"), small) == "2 lists, more than 1");
  const std::string twice = R"(<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
    <list name="a"/><list name="a"/></resource-lists>)";
  CHECK(refusal(twice) == "two lists named \"a\"");
  const std::string bad = R"(<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
    <list name="a"><entry uri="not a uri"/></list></resource-lists>)";
  CHECK(refusal(bad) == "list sip:a@example.com: \"not a uri\" is not a URI");
}

namespace {

/// A subscriber and a notifier with a list server, wired by hand.
struct list_bench {
  tokens ids;
  test_package presence;
  rl::rls_config cfg;
  ev::subscription_server server{ids.source(), {{}, "sip:rls@192.0.2.9"}};
  std::unique_ptr<rl::list_server> rls;
  std::unique_ptr<rl::list_reader> reader;
  std::unique_ptr<ev::subscription_client> client;
  rl::list_view view;
  std::uint64_t txn = 0;
  std::vector<sm::message> notifies;  // as the subscriber received them

  void start(bool supported = true, std::string list = "sip:friends@example.com") {
    cfg.min_interval = 1s;
    rls = std::make_unique<rl::list_server>(ids.source(), cfg);
    rls->add_package(presence);
    rls->set_lists(load(fixture("buddies.xml")));
    server.add_package(presence);
    server.set_lists(rls.get());
    reader = std::make_unique<rl::list_reader>(presence);
    ev::subscribe_params p;
    p.event = "presence";
    p.from = "sip:alice@example.com";
    p.to = std::move(list);
    p.contact = "sip:alice@192.0.2.1";
    p.expires = 600;
    if (supported) rl::make_list_subscription(p, *reader);
    client = std::make_unique<ev::subscription_client>(p, ids.source(), ev::client_config{}, reader.get());
    client->start(t0);
  }
  /// Carries what each side sends to the other until both are quiet.
  void pump(ev::time_point now) {
    for (bool again = true; again;) {
      again = false;
      for (auto& e : drain(*client)) {
        if (e.what == ev::client_event::kind::send) {
          client_key = e.request.key;
          server.on_subscribe(++txn, wire(e.request), now);
          again = true;
        } else if (e.what == ev::client_event::kind::notify) {
          REQUIRE(e.body.ok);
          if (const auto* n = std::any_cast<rl::list_notify>(&e.body.state)) REQUIRE(view.apply(*n));
        }
      }
      for (auto& e : drain(server)) {
        if (e.what == ev::server_event::kind::respond) {
          last_response = build(e.response);
          client->on_response(client_key, last_response, now);
          again = true;
        } else if (e.what == ev::server_event::kind::send) {
          sm::message n = wire(e.request, "192.0.2.9");
          notifies.push_back(n);
          const std::uint16_t st = client->on_notify(n, now);
          server.on_response(e.request.key, answer(n, st, ""), now);
          again = true;
        }
      }
    }
  }
  std::uint64_t client_key = 0;  // the SUBSCRIBE in flight
  sm::message last_response;
  std::string rlmi_of(const sm::message& n) {
    const std::string ct = header(n, "Content-Type");  // the media type points into it
    sm::media_type t;
    REQUIRE_FALSE(sm::parse_media_type(ct, t));
    sm::multipart mp;
    REQUIRE(sm::decode(n.body(), sm::unquote(*t.params.get("boundary")), mp));
    return mp.parts.at(0).body;
  }
};

}  // namespace

TEST_CASE("rls: a list subscription gets full state, then partial NOTIFYs with only what changed, rate-limited") {
  list_bench b;
  b.presence.state_of = {{"sip:bob@example.com", "bob-open"}, {"sip:carol@example.com", "carol-closed"}};
  b.start();
  b.pump(t0);
  REQUIRE(b.last_response.status() == 200);
  REQUIRE(b.notifies.size() == 1);
  const sm::message& n1 = b.notifies[0];
  CHECK(header(n1, "Require") == "eventlist");
  CHECK(header(n1, "Content-Type").starts_with("multipart/related;type=\"application/rlmi+xml\";start=\"<"));
  REQUIRE(b.view.resources().size() == 4);
  CHECK(b.view.uri() == "sip:friends@example.com");
  CHECK(b.view.version() == 0u);
  const rl::resource_view* bob = b.view.find("sip:bob@example.com");
  REQUIRE(bob);
  CHECK(bob->name == "Bob");
  REQUIRE(bob->instances.size() == 1);
  CHECK(bob->instances[0].state == rl::instance_state::active);
  REQUIRE(bob->instances[0].body);
  CHECK(std::any_cast<std::string>(bob->instances[0].body->state) == "full:bob-open");
  CHECK(bob->instances[0].content_type == "application/pidf+xml");

  // bob changes: one partial NOTIFY with bob alone, after the list's interval.
  b.presence.state_of["sip:bob@example.com"] = "bob-busy";
  b.server.changed("presence", "sip:bob@example.com", t0 + 500ms);
  b.pump(t0 + 500ms);
  CHECK(b.notifies.size() == 1);
  // carol changes too before the interval ends: merged into the same NOTIFY.
  b.presence.state_of["sip:carol@example.com"] = "carol-open";
  b.server.changed("presence", "sip:carol@example.com", t0 + 900ms);
  CHECK(b.server.next_deadline() == t0 + 1s);
  b.server.advance(t0 + 1s - 1ms);
  b.pump(t0 + 1s - 1ms);
  CHECK(b.notifies.size() == 1);
  b.server.advance(t0 + 1s);
  b.pump(t0 + 1s);
  REQUIRE(b.notifies.size() == 2);
  const std::string partial = b.rlmi_of(b.notifies[1]);
  CHECK(partial.find("fullState=\"false\"") != std::string::npos);
  CHECK(partial.find("version=\"1\"") != std::string::npos);
  CHECK(partial.find("sip:bob@example.com") != std::string::npos);
  CHECK(partial.find("sip:carol@example.com") != std::string::npos);
  CHECK(partial.find("sip:erin@example.com") == std::string::npos);
  CHECK(std::any_cast<std::string>(b.view.find("sip:bob@example.com")->instances[0].body->state) ==
        "partial:bob-busy");
  // The others kept what they had.
  CHECK(b.view.find("sip:erin@example.com")->instances[0].body);
  // The instance ids stay for the life of the subscription.
  CHECK(b.view.find("sip:bob@example.com")->instances[0].id == bob->instances[0].id);
  // A resource in no list, or a list member of another package, wakes nothing.
  b.server.changed("presence", "sip:zed@example.com", t0 + 5s);
  b.server.changed("dialog", "sip:bob@example.com", t0 + 5s);
  b.pump(t0 + 5s);
  CHECK(b.notifies.size() == 2);
  CHECK(b.rls->subscriptions() == 1);
}

TEST_CASE("rls: a list SUBSCRIBE without Supported: eventlist gets 421 with Require: eventlist") {
  list_bench b;
  b.start(false);
  b.pump(t0);
  CHECK(b.last_response.status() == 421);
  CHECK(header(b.last_response, "Require") == "eventlist");
  CHECK(b.server.size() == 0);
  // A resource that is no list is served as usual, with or without it.
  list_bench plain;
  plain.start(false, "sip:bob@example.com");
  plain.pump(t0);
  CHECK(plain.last_response.status() == 200);
  REQUIRE(plain.notifies.size() == 1);
  CHECK(header(plain.notifies[0], "Require").empty());
}

TEST_CASE("rls: a refresh gets full state again, and the end releases every member watcher") {
  list_bench b;
  b.start();
  b.pump(t0);
  REQUIRE(b.notifies.size() == 1);
  b.client->refresh(t0 + 10s);
  b.pump(t0 + 10s);
  REQUIRE(b.notifies.size() == 2);
  CHECK(b.rlmi_of(b.notifies[1]).find("fullState=\"true\"") != std::string::npos);
  CHECK(b.rlmi_of(b.notifies[1]).find("version=\"1\"") != std::string::npos);
  b.client->unsubscribe(t0 + 20s);
  b.pump(t0 + 20s);
  CHECK(b.server.size() == 0);
  CHECK(b.rls->subscriptions() == 0);
  // Four members, each a watcher of the member package until the end.
  CHECK(b.presence.gone.size() == 4);
  for (std::uint64_t id : b.presence.gone) CHECK(id >= (std::uint64_t(1) << 62));
}

TEST_CASE("rls: each member's own policy applies: pending shows neutral state, rejected is terminated") {
  list_bench b;
  b.cfg.authorize = [](const ev::authorization_request& r) {
    CHECK(r.watcher == "sip:alice@example.com");
    return r.resource == "sip:carol@example.com" ? ev::authorization::pending
           : r.resource == "sip:dave@example.com" ? ev::authorization::reject
                                                  : ev::authorization::accept;
  };
  b.start();
  b.pump(t0);
  INFO(b.notifies.at(0).body());
  const auto* carol = b.view.find("sip:carol@example.com");
  const auto* dave = b.view.find("sip:dave@example.com;transport=udp");
  REQUIRE((carol && dave));
  CHECK(carol->instances[0].state == rl::instance_state::pending);
  CHECK(std::any_cast<std::string>(carol->instances[0].body->state) == "neutral");
  CHECK(dave->instances[0].state == rl::instance_state::terminated);
  CHECK(dave->instances[0].reason == "rejected");
  CHECK_FALSE(dave->instances[0].body);
}

TEST_CASE("rls: members of other domains come through one back-end subscription each") {
  list_bench b;
  b.cfg.is_local = [](std::string_view r) { return r != "sip:carol@example.com"; };
  b.start();
  b.pump(t0);
  rl::backend_event be;
  REQUIRE(b.rls->poll(be));
  CHECK(be.what == rl::backend_event::kind::subscribe);
  CHECK(be.event == "presence");
  CHECK(be.resource == "sip:carol@example.com");
  CHECK(be.list == "sip:friends@example.com");
  CHECK_FALSE(b.rls->poll(be));
  CHECK(b.view.find("sip:carol@example.com")->instances[0].state == rl::instance_state::pending);
  // A second subscriber of the same list shares it.
  list_bench other;  // (its own notifier: only the list server's count matters here)
  b.rls->remote_state("presence", "sip:carol@example.com", ev::sub_state::active,
                      ev::body{"application/pidf+xml", "carol-remote"});
  b.server.changed("presence", "sip:carol@example.com", t0 + 2s);
  b.pump(t0 + 2s);
  const auto* carol = b.view.find("sip:carol@example.com");
  CHECK(carol->instances[0].state == rl::instance_state::active);
  CHECK(std::any_cast<std::string>(carol->instances[0].body->state) == "carol-remote");
  b.rls->remote_state("presence", "sip:carol@example.com", ev::sub_state::terminated, std::nullopt,
                      ev::reason::noresource);
  b.server.changed("presence", "sip:carol@example.com", t0 + 4s);
  b.pump(t0 + 4s);
  CHECK(b.view.find("sip:carol@example.com")->instances[0].reason == "noresource");
  b.client->unsubscribe(t0 + 5s);
  b.pump(t0 + 5s);
  REQUIRE(b.rls->poll(be));
  CHECK(be.what == rl::backend_event::kind::unsubscribe);
  CHECK(b.rls->backends() == 0);
}

TEST_CASE("rls: the subscriber side reads the RFC 4662 example NOTIFY and asks for a refresh on a gap") {
  test_package presence;
  rl::list_reader reader(presence);
  sm::media_type t;
  REQUIRE_FALSE(sm::parse_media_type(
      "multipart/related;type=\"application/rlmi+xml\";start=\"<nXYxAE@pres.example.com>\";boundary=\"50UBfW7LSCVLtggUPe5z\"",
      t));
  ev::decoded d = reader.decode(t, fixture("rfc4662-notify-body.txt"));
  INFO(d.error);
  REQUIRE(d.ok);
  const auto& n = std::any_cast<const rl::list_notify&>(d.state);
  CHECK_FALSE(n.meta.full);
  REQUIRE(n.instances.size() == 2);
  REQUIRE(n.instances[0][0].body);
  CHECK(std::any_cast<std::string>(n.instances[0][0].body->state).find("<basic>closed</basic>") != std::string::npos);
  CHECK(n.instances[1][0].state == rl::instance_state::pending);
  // A partial list before any full one is a gap.
  rl::list_view v;
  CHECK_FALSE(v.apply(n));
  // A part the RLMI names but the body lacks is an error, not a crash.
  std::string body = fixture("rfc4662-notify-body.txt");
  body.replace(body.find("<bUZBsM@"), 8, "<other@");
  CHECK_FALSE(reader.decode(t, body).ok);
}

namespace {

/// liblinphone's list SUBSCRIBE (RFC 5367): the list is the body, deflated or not.
sm::message body_list_subscribe(const std::string& to, const std::string& list, bool deflate,
                                const std::string& disposition = "recipient-list") {
  std::string body = list;
  if (deflate) {
    uLongf n = compressBound(uLong(list.size()));
    body.assign(n, '\0');
    REQUIRE(compress(reinterpret_cast<Bytef*>(body.data()), &n, reinterpret_cast<const Bytef*>(list.data()),
                     uLong(list.size())) == Z_OK);
    body.resize(n);
  }
  auto b = sm::message_builder::request("SUBSCRIBE", to);
  b.header("Via", "SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK-bl" + std::to_string(++g_branch));
  b.header("From", "<sip:alice@example.com>;tag=bl1");
  b.header("To", "<" + to + ">");
  b.header("Call-ID", "bl-" + std::to_string(g_branch));
  b.header("CSeq", "20 SUBSCRIBE");
  b.header("Contact", "<sip:alice@192.0.2.1;transport=tcp>");
  b.header("Event", "presence");
  b.header("Expires", "3600");
  b.header("Supported", "eventlist");
  b.header("Require", "recipient-list-subscribe");
  b.header("Accept", "multipart/related, application/pidf+xml, application/rlmi+xml");
  b.header("Content-Disposition", disposition);
  if (deflate) b.header("Content-Encoding", "deflate");
  b.body("application/resource-lists+xml", body);
  return build(b);
}

const std::string adhoc = R"(<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list>
 <entry uri="sip:bob@example.com"/><entry uri="sip:zoe@example.com"/><entry uri="sip:bob@example.com"/>
</list></resource-lists>)";

struct service_bench {
  tokens ids;
  test_package presence;
  std::unique_ptr<rl::list_server> rls;
  ev::subscription_server server{ids.source(), {{}, "sip:rls@192.0.2.9"}};
  explicit service_bench(std::size_t max_resources = 1000) {
    rl::rls_config cfg;
    cfg.list_services = {"sip:rls@example.com"};
    cfg.body_limits.max_resources = max_resources;
    rls = std::make_unique<rl::list_server>(ids.source(), cfg);
    rls->add_package(presence);
    rls->set_lists(load(fixture("buddies.xml")));
    server.add_package(presence);
    server.set_lists(rls.get());
  }
  /// The response and the NOTIFYs a SUBSCRIBE gets.
  std::pair<sm::message, std::vector<sm::message>> offer(const sm::message& req, ev::time_point now) {
    server.on_subscribe(1, req, now);
    std::pair<sm::message, std::vector<sm::message>> out;
    for (auto& e : drain(server)) {
      if (e.what == ev::server_event::kind::respond) out.first = build(e.response);
      if (e.what == ev::server_event::kind::send) {
        out.second.push_back(wire(e.request, "192.0.2.9"));
        server.on_response(e.request.key, answer(out.second.back(), 200, "bl1"), now);
      }
    }
    return out;
  }
};

rl::list_notify read_list(const sm::message& n, const ev::package& inner) {
  rl::list_reader reader(inner);
  ev::decoded d = reader.decode(*n.content_type(), n.body());
  INFO(d.error);
  REQUIRE(d.ok);
  return std::any_cast<rl::list_notify>(d.state);
}

}  // namespace

TEST_CASE("rls: a list carried in the SUBSCRIBE (RFC 5367), deflated as liblinphone sends it, is served") {
  for (bool deflate : {false, true}) {
    service_bench b;
    b.presence.state_of["sip:bob@example.com"] = "bob-open";
    auto [resp, notifies] = b.offer(body_list_subscribe("sip:rls@example.com", adhoc, deflate), t0);
    REQUIRE(resp.status() == 200);
    REQUIRE(notifies.size() == 1);
    CHECK(header(notifies[0], "Require") == "eventlist");
    // The boundary is a token, written without quotes (belle-sip reads none).
    CHECK(header(notifies[0], "Content-Type").find("boundary=\"") == std::string::npos);
    rl::list_notify n = read_list(notifies[0], b.presence);
    CHECK(n.meta.uri == "sip:rls@example.com");
    REQUIRE(n.meta.resources.size() == 2);  // the duplicate entry is dropped
    CHECK(n.meta.resources[0].uri == "sip:bob@example.com");
    CHECK(std::any_cast<std::string>(n.instances[0][0].body->state) == "full:bob-open");
    // A change of a member reaches this list, and only a list that holds it.
    b.presence.state_of["sip:bob@example.com"] = "bob-away";
    b.server.changed("presence", "sip:bob@example.com", t0 + 1s);
    std::vector<sm::message> more;
    for (auto& e : drain(b.server))
      if (e.what == ev::server_event::kind::send) more.push_back(wire(e.request, "192.0.2.9"));
    REQUIRE(more.size() == 1);
    rl::list_notify p = read_list(more[0], b.presence);
    CHECK_FALSE(p.meta.full);
    REQUIRE(p.meta.resources.size() == 1);
    CHECK(std::any_cast<std::string>(p.instances[0][0].body->state) == "partial:bob-away");
    b.server.changed("presence", "sip:carol@example.com", t0 + 2s);  // in buddies.xml, not in this list
    CHECK(of_kind(drain(b.server), ev::server_event::kind::send).empty());
  }
}

TEST_CASE("rls: a bad list in the SUBSCRIBE gets 400 naming the fault - a list sent to no list service, 403") {
  service_bench b(2);
  CHECK(b.offer(body_list_subscribe("sip:rls@example.com", "<resource-lists", false), t0).first.reason().starts_with(
      "Bad Resource List: not XML"));
  CHECK(b.offer(body_list_subscribe("sip:rls@example.com", adhoc, false, "render"), t0).first.status() == 400);
  std::string big = adhoc;
  big.replace(big.find("</list>"), 0, "<entry uri=\"sip:x@example.com\"/>");
  auto r = b.offer(body_list_subscribe("sip:rls@example.com", big, false), t0).first;
  CHECK(r.status() == 400);
  CHECK(r.reason() == "Bad Resource List: list sip:rls@example.com has more than 2 resources");
  std::string bomb(4 << 20, ' ');  // inflates past the limit
  r = b.offer(body_list_subscribe("sip:rls@example.com", "<resource-lists>" + bomb, true), t0).first;
  CHECK(r.status() == 400);
  CHECK(r.reason() == "Bad Deflated Resource List");
  r = b.offer(body_list_subscribe("sip:bob@example.com", adhoc, false), t0).first;
  CHECK(r.status() == 403);
  CHECK(b.server.size() == 0);
  CHECK(b.rls->subscriptions() == 0);
}

TEST_CASE("rls: after a restart a list from a file is served again - a list that came in a SUBSCRIBE is deactivated") {
  service_bench b;
  auto record = [](std::string key, std::string resource) {
    sipevents::store::subscription_record r;
    r.key = std::move(key);
    r.package = "presence";
    r.resource = std::move(resource);
    r.content_type = "multipart/related";
    r.state = static_cast<std::uint8_t>(ev::sub_state::active);
    r.expires_at = t0 + 600s;
    r.call_id = "restored-" + r.key;
    r.local_tag = "lt";
    r.remote_tag = "rt";
    r.local_uri = r.resource;
    r.remote_uri = "sip:alice@example.com";
    r.remote_target = "sip:alice@192.0.2.1;transport=tcp";
    r.local_contact = "sip:rls@192.0.2.9";
    r.local_cseq = r.cseq_mark = 3;
    r.package_state = "5";  // the RLMI version to continue above
    return r;
  };
  CHECK(b.server.restore(record("k1", "sip:friends@example.com"), t0));
  CHECK(b.server.restore(record("k2", "sip:rls@example.com"), t0));
  std::vector<sm::message> sent;
  for (auto& e : drain(b.server))
    if (e.what == ev::server_event::kind::send) sent.push_back(wire(e.request, "192.0.2.9"));
  REQUIRE(sent.size() == 2);
  CHECK(header(sent[0], "Subscription-State").starts_with("active"));
  rl::list_notify n = read_list(sent[0], b.presence);
  CHECK(n.meta.full);
  CHECK(n.meta.version == 5);
  CHECK(n.meta.resources.size() == 4);
  CHECK(header(sent[1], "Subscription-State") == "terminated;reason=deactivated");
  CHECK(header(sent[1], "Require") == "eventlist");
}
