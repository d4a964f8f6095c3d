// Presence: PIDF/RPID codec, the ESC (PUBLISH server), composition, the EPA (PUBLISH
// client), and the seed presence flow, all in-process with a fake clock.
#include <catch2/catch.hpp>

#include "../events/events_support.hpp"
#include "sipevents/events/publication_client.hpp"
#include "sipevents/events/publication_server.hpp"
#include "sipevents/presence/pidf_diff.hpp"
#include "sipevents/presence/presence_package.hpp"
#include "support.hpp"

using namespace evtest;
namespace pr = sipevents::presence;

namespace {

std::string example(const std::string& name) {
  return testsupport::read_file(testsupport::shared_dir() / "testdata" / "examples" / name);
}
std::string local(const std::string& name) {
  return testsupport::read_file(std::filesystem::path(SIPEVENTS_TEST_DIR) / "presence" / "data" / name);
}
sm::message example_msg(const std::string& name) {
  sm::message m;
  REQUIRE_FALSE(sm::parse_datagram(example(name), m));
  return m;
}

pr::presence_document doc_of(const std::string& xml) {
  pr::presence_document d;
  std::string err;
  INFO(err);
  REQUIRE(pr::decode(xml, d, &err));
  return d;
}

std::string pidf(const std::string& entity, const std::string& id, const std::string& basic,
                 const std::string& contact = "", const std::string& note = "") {
  pr::presence_document d;
  d.entity = entity;
  pr::tuple t;
  t.id = id;
  t.basic = basic == "open" ? pr::basic_status::open : pr::basic_status::closed;
  if (!contact.empty()) t.contact = pr::contact_address{contact, {}};
  if (!note.empty()) t.notes.push_back({note, "en"});
  d.tuples.push_back(t);
  return pr::encode(d);
}

/// A PUBLISH as a UA would send it.
sm::message publish(const std::string& aor, std::optional<std::string> body, std::optional<std::uint32_t> expires,
                    const std::string& if_match = "", const std::string& event = "presence",
                    const std::string& type = "application/pidf+xml") {
  static int n = 0;
  auto b = sm::message_builder::request("PUBLISH", aor);
  b.header("Via", "SIP/2.0/UDP pua.example.com;branch=z9hG4bKp" + std::to_string(++n));
  b.header("From", "<" + aor + ">;tag=p" + std::to_string(n));
  b.header("To", "<" + aor + ">");
  b.header("Call-ID", "pub" + std::to_string(n));
  b.header("CSeq", "1 PUBLISH");
  b.header("Max-Forwards", "70");
  if (!event.empty()) b.header("Event", event);
  if (expires) b.header("Expires", std::to_string(*expires));
  if (!if_match.empty()) b.header("SIP-If-Match", if_match);
  if (body) b.body(type, *body);
  return build(b);
}

struct esc_fixture {
  tokens ids;
  ev::publication_config cfg;
  std::unique_ptr<ev::publication_server> esc;
  pr::presence_package pkg;
  std::vector<bool> changed;  // per change: did the composed state change
  explicit esc_fixture(ev::publication_config c = {})
      : cfg(c), esc(std::make_unique<ev::publication_server>(ids.source(), cfg)), pkg(esc.get()) {
    esc->add_package(pkg, pkg.config().publications);
  }
  sm::message handle(const sm::message& req, ev::time_point now) {
    sm::message r = build(esc->on_publish(req, now));
    pump();
    return r;
  }
  void pump() {
    ev::publication_change c;
    while (esc->poll(c)) changed.push_back(pkg.apply(c));
  }
  std::vector<std::string> basics(const std::string& resource) {
    std::vector<std::string> out;
    for (const auto& t : pkg.compose(resource).tuples) out.push_back(t.id + "=" + std::string(pr::to_string(t.basic)));
    return out;
  }
};

}  // namespace

// ---- PIDF / RPID ------------------------------------------------------------------------

TEST_CASE("pidf: every RFC 3863 example decodes, round-trips, and what we write validates") {
  for (const auto& f : testsupport::files_with_ext(testsupport::shared_dir() / "testdata" / "examples", ".xml")) {
    if (f.filename().string().rfind("3863-", 0) != 0) continue;
    INFO(f.filename().string());
    auto d = doc_of(testsupport::read_file(f));
    CHECK(d.entity == "pres:someone@example.com");
    CHECK_FALSE(d.tuples.empty());
    std::string out = pr::encode(d);
    CHECK(doc_of(out) == d);
    CHECK(testsupport::schema_valid(out, "3863-pidf.xsd"));
  }
  auto im = doc_of(example("3863-pidf-example-im-status.xml"));
  REQUIRE(im.tuples.size() == 2);
  CHECK(im.tuples[0].basic == pr::basic_status::open);
  CHECK(im.tuples[0].contact->uri == "im:someone@mobilecarrier.net");
  CHECK(im.tuples[0].contact->priority == "0.8");
  REQUIRE(im.tuples[0].notes.size() == 2);
  CHECK(im.tuples[0].notes[1].lang == "fr");
  CHECK(im.tuples[0].timestamp == "2001-10-27T16:49:29Z");
  REQUIRE(im.tuples[0].status_extensions.size() == 2);  // im:im and myex:location, kept
  CHECK(im.tuples[0].status_extensions[0].find("urn:ietf:params:xml:ns:pidf:im") != std::string::npos);
  CHECK(im.notes.at(0).text == "I'll be in Tokyo next week");

  auto ext = doc_of(example("3863-pidf-example-extension-elements.xml"));  // impp: prefix
  CHECK(ext.tuples.at(1).contact->uri == "im:someone@mobilecarrier.net");  // wrapped value trimmed
  REQUIRE(ext.extensions.size() == 1);
  CHECK(ext.extensions[0].find("xmlns:myex=\"http://id.example.com/presence/\"") != std::string::npos);

  auto mu = doc_of(example("3863-pidf-example-must-understand.xml"));
  CHECK(mu.not_understood == std::vector<std::string>{"myex:ex1"});
}

TEST_CASE("rpid: activities, mood, place-type, privacy typed, the rest kept, any prefix") {
  auto d = doc_of(local("4480-rpid-person.xml"));
  REQUIRE(d.persons.size() == 1);
  const auto& p = d.persons[0];
  CHECK(p.activities == std::vector<pr::activity>{pr::activity::away, pr::activity::meeting});
  CHECK(p.activities_from == "2005-05-30T12:00:00+05:00");
  CHECK(p.activity_notes.at(0).text == "Far away");
  REQUIRE(p.moods.size() == 2);
  CHECK(p.moods[0].token == "angry");
  CHECK((p.moods[1].token == "other" && p.moods[1].text == "brooding"));
  CHECK(p.place_type->token == "residence");
  CHECK((p.privacy->known && p.privacy->audio && !p.privacy->text && p.privacy->video));
  CHECK(p.notes.at(0).text == "Watching the game");
  CHECK(p.timestamp == "2005-05-30T16:09:44+05:00");
  CHECK(p.extensions.size() == 3);  // rpid:class, rpid:sphere, rpid:time-offset
  CHECK(d.tuples.at(0).extensions.size() == 3);
  CHECK(d.extensions.size() == 1);  // dm:device
  std::string out = pr::encode(d);
  CHECK(doc_of(out) == d);
  CHECK(testsupport::schema_valid(out, "3863-pidf.xsd"));

  auto q = doc_of(local("rpid-prefixes-cpim.xml"));
  const auto& qp = q.persons.at(0);
  CHECK(qp.activities == std::vector<pr::activity>{pr::activity::on_the_phone, pr::activity::busy,
                                                   pr::activity::vacation, pr::activity::sleeping,
                                                   pr::activity::unknown, pr::activity::other});
  CHECK(qp.activity_other == "juggling");
  CHECK_FALSE(qp.privacy->known);
  CHECK((qp.place_type->token == "other" && qp.place_type->text == "submarine"));
  CHECK(doc_of(pr::encode(q)) == q);
  // The legacy type is read like the current one.
  pr::presence_package pkg;
  sm::media_type cpim{"application", "cpim-pidf+xml", {}};
  auto dec = pkg.decode(cpim, local("rpid-prefixes-cpim.xml"));
  CHECK(dec.ok);
}

TEST_CASE("pidf: what breaks the model is refused with a reason (baresip's <basic>?</basic>)") {
  pr::presence_document d;
  std::string err;
  CHECK_FALSE(pr::decode("<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:a@b'><tuple id='t'>"
                         "<status><basic>?</basic></status></tuple></presence>", d, &err));
  CHECK(err.find("basic must be open or closed") != std::string::npos);
  CHECK_FALSE(pr::decode("<presence xmlns='urn:ietf:params:xml:ns:pidf'/>", d, &err));
  CHECK(err == "presence without entity");
  CHECK_FALSE(pr::decode("<presence xmlns='urn:other' entity='x'/>", d, &err));
  CHECK_FALSE(pr::decode("<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='x'><tuple id='t'/></presence>", d, &err));
  CHECK(err == "tuple t without status");
  CHECK_FALSE(pr::decode("<presence", d, &err));
  CHECK(err.rfind("not XML", 0) == 0);
  // A prefix nobody declares (fuzz_presence found it: once written under a document
  // that binds rpid, the same element would read as RPID, another model).
  CHECK_FALSE(pr::decode("<presence xmlns='urn:ietf:params:xml:ns:pidf' xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' "
                         "entity='x'><dm:person id='p'><rpid:activities><rpid:away/></rpid:activities></dm:person></presence>",
                         d, &err));
  CHECK(err == "undeclared namespace prefix rpid");
  CHECK_FALSE(pr::decode("<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='x'><tuple id='t' foo:bar='1'>"
                         "<status/></tuple></presence>", d, &err));
  CHECK(err == "undeclared namespace prefix foo");
}

// ---- ESC ----------------------------------------------------------------------------------

TEST_CASE("esc: initial, refresh, modify, remove, each answer carries a new entity tag") {
  esc_fixture f;
  f.ids.script = {"to1", "etagA"};
  auto r = f.handle(publish("sip:alice@example.com", pidf("sip:alice@example.com", "t1", "open"), 3600), t0);
  REQUIRE(r.status() == 200);
  CHECK(r.sip_etag() == "etagA");
  CHECK(r.expires() == 3600u);
  CHECK(f.basics("sip:alice@example.com") == std::vector<std::string>{"t1=open"});

  f.ids.script = {"to2", "etagB"};
  r = f.handle(publish("sip:alice@example.com", std::nullopt, 3600, "etagA"), t0 + 100s);  // refresh
  REQUIRE(r.status() == 200);
  CHECK(r.sip_etag() == "etagB");
  CHECK(f.changed.back() == false);  // a refresh changes nothing a watcher sees
  CHECK(f.esc->find("etagA") == nullptr);

  f.ids.script = {"to3", "etagC"};
  r = f.handle(publish("sip:alice@example.com", pidf("sip:alice@example.com", "t1", "closed"), 3600, "etagB"), t0 + 200s);
  CHECK(r.sip_etag() == "etagC");
  CHECK(f.changed.back() == true);
  CHECK(f.basics("sip:alice@example.com") == std::vector<std::string>{"t1=closed"});

  r = f.handle(publish("sip:alice@example.com", std::nullopt, 0, "etagC"), t0 + 300s);  // remove
  CHECK(r.status() == 200);
  CHECK(r.expires() == 0u);
  CHECK(f.esc->size() == 0);
  CHECK(f.basics("sip:alice@example.com") == std::vector<std::string>{"offline=closed"});  // hard state
}

TEST_CASE("esc: 412 for unknown, used or expired tags, 423, 489, 400, 415, 403, 413") {
  esc_fixture f;
  f.ids.script = {"to", "e1"};
  const std::string a = "sip:alice@example.com";
  REQUIRE(f.handle(publish(a, pidf(a, "t", "open"), 60), t0).status() == 200);
  CHECK(f.handle(publish(a, std::nullopt, 60, "nosuchtag"), t0).status() == 412);
  CHECK(f.handle(publish("sip:bob@example.com", std::nullopt, 60, "e1"), t0).status() == 412);  // other resource
  // Expiry at exactly 60 s: one tick before it is still there.
  f.esc->advance(t0 + 60s - 1ns);
  CHECK(f.esc->find("e1") != nullptr);
  CHECK(f.esc->next_deadline() == t0 + 60s);
  f.esc->advance(t0 + 60s);
  f.pump();
  CHECK(f.esc->find("e1") == nullptr);
  CHECK(f.handle(publish(a, std::nullopt, 60, "e1"), t0 + 61s).status() == 412);

  auto brief = f.handle(publish(a, pidf(a, "t", "open"), 10), t0);
  CHECK(brief.status() == 423);
  CHECK(brief.min_expires() == 60u);
  auto bad_event = f.handle(publish(a, pidf(a, "t", "open"), 60, "", "dialog"), t0);
  CHECK(bad_event.status() == 489);
  CHECK(header(bad_event, "Allow-Events") == "presence");
  CHECK(f.handle(publish(a, pidf(a, "t", "open"), 60, "", ""), t0).status() == 489);
  auto nobody = f.handle(publish(a, std::nullopt, 60), t0);
  CHECK(nobody.status() == 400);
  CHECK(nobody.reason() == "Missing Body in Initial PUBLISH");
  auto type = f.handle(publish(a, "hello", 60, "", "presence", "text/plain"), t0);
  CHECK(type.status() == 415);
  CHECK(header(type, "Accept") == "application/pidf+xml, application/cpim-pidf+xml");
  auto broken = f.handle(publish(a, "<presence/>", 60), t0);
  CHECK(broken.status() == 400);
  CHECK(broken.reason().find("Bad pidf+xml Body") == 0);
  auto other = publish(a, pidf(a, "t", "open"), 60);
  auto forged = build(sm::message_builder::request("PUBLISH", a)
                          .header("Via", "SIP/2.0/UDP x;branch=z9hG4bKf").header("From", "<sip:mallory@example.com>;tag=1")
                          .header("To", "<" + a + ">").header("Call-ID", "f").header("CSeq", "1 PUBLISH")
                          .header("Event", "presence").body("application/pidf+xml", pidf(a, "t", "open")));
  CHECK(f.handle(forged, t0).status() == 403);
  esc_fixture small(ev::publication_config{100, 16, 100, 24});
  CHECK(small.handle(other, t0).status() == 413);
}

TEST_CASE("esc: two devices of one AoR stay apart by entity tag, union, newer replaces, limits") {
  esc_fixture f;
  const std::string a = "sip:alice@example.com";
  f.ids.script = {"x", "phone", "x", "laptop"};
  REQUIRE(f.handle(publish(a, pidf(a, "phone", "open", "sip:alice@192.0.2.1"), 3600), t0).status() == 200);
  REQUIRE(f.handle(publish(a, pidf(a, "laptop", "closed"), 3600), t0 + 1s).status() == 200);
  CHECK(f.esc->publications("presence", a).size() == 2);
  CHECK(f.basics(a) == std::vector<std::string>{"phone=open", "laptop=closed"});
  // Interleaved: the phone refreshes, the laptop modifies, the phone's old tag is dead.
  f.ids.script = {"x", "phone2", "x", "laptop2"};
  CHECK(f.handle(publish(a, std::nullopt, 3600, "phone"), t0 + 2s).status() == 200);
  CHECK(f.handle(publish(a, pidf(a, "laptop", "open"), 3600, "laptop"), t0 + 3s).status() == 200);
  CHECK(f.handle(publish(a, pidf(a, "phone", "closed"), 3600, "phone"), t0 + 4s).status() == 412);
  CHECK(f.basics(a) == std::vector<std::string>{"phone=open", "laptop=open"});
  // Both publish the same tuple id: the newer body wins.
  f.ids.script = {"x", "laptop3"};
  CHECK(f.handle(publish(a, pidf(a, "phone", "closed"), 3600, "laptop2"), t0 + 5s).status() == 200);
  CHECK(f.basics(a) == std::vector<std::string>{"phone=closed"});
  f.ids.script = {"x", "phone3"};
  CHECK(f.handle(publish(a, pidf(a, "phone", "open"), 3600, "phone2"), t0 + 6s).status() == 200);
  CHECK(f.basics(a) == std::vector<std::string>{"phone=open"});
  // The laptop goes away; the phone's tuple stays.
  CHECK(f.handle(publish(a, std::nullopt, 0, "laptop3"), t0 + 7s).status() == 200);
  CHECK(f.esc->publications("presence", a).size() == 1);
  CHECK(f.basics(a) == std::vector<std::string>{"phone=open"});

  // Per-resource limit.
  esc_fixture g(ev::publication_config{100, 2, 65536, 24});
  CHECK(g.handle(publish(a, pidf(a, "1", "open"), 3600), t0).status() == 200);
  CHECK(g.handle(publish(a, pidf(a, "2", "open"), 3600), t0).status() == 200);
  auto full = g.handle(publish(a, pidf(a, "3", "open"), 3600), t0);
  CHECK(full.status() == 503);
  CHECK(header(full, "Retry-After") == "60");
}

TEST_CASE("esc: a publisher refreshing fast does not grow the timer heap without bound") {
  esc_fixture f;
  const std::string a = "sip:alice@example.com";
  auto r = f.handle(publish(a, pidf(a, "t", "open"), 3600), t0);
  std::string tag(r.sip_etag());
  for (int i = 0; i < 10000; ++i) {
    r = f.handle(publish(a, std::nullopt, 3600, tag), t0 + std::chrono::milliseconds(i));
    REQUIRE(r.status() == 200);
    tag = std::string(r.sip_etag());
  }
  CHECK(f.esc->size() == 1);
  CHECK(f.esc->next_deadline() <= t0 + 3600s + 10s);
  f.esc->advance(t0 + 3600s + 10s);
  CHECK(f.esc->size() == 0);
}

TEST_CASE("esc: the RFC 3903 example messages (M5, M9 -> M6, M10) at the SIP layer") {
  tokens ids;
  ids.script = {"1a2b3c4d", "dx200xyz", "2affde434", "kwj449x"};
  test_package raw;  // reads any body: the RFC prints placeholders, not PIDF
  ev::publication_server esc(ids.source());
  esc.add_package(raw, {3600, 60, 1800});
  ev::publication_server* e = &esc;
  auto m6 = build(e->on_publish(example_msg("3903-m5-publish-initial.sip"), t0));
  auto want6 = example_msg("3903-m6-200-ok-etag.sip");
  CHECK(m6.status() == want6.status());
  CHECK(m6.sip_etag() == want6.sip_etag());
  CHECK(m6.expires() == want6.expires());
  CHECK(m6.to().tag == want6.to().tag);
  auto m10 = build(e->on_publish(example_msg("3903-m9-publish-refresh.sip"), t0 + 10s));
  auto want10 = example_msg("3903-m10-200-ok-etag.sip");
  CHECK(m10.sip_etag() == want10.sip_etag());
  CHECK(m10.expires() == want10.expires());
  REQUIRE(esc.find("kwj449x") != nullptr);
  CHECK(esc.find("kwj449x")->body == "[Published PIDF document]\r\n");
  CHECK(m10.to().tag == want10.to().tag);
}

// ---- EPA ----------------------------------------------------------------------------------

namespace {
struct epa_fixture {
  tokens ids;
  ev::publication_client epa;
  explicit epa_fixture(std::uint32_t expires = 3600)
      : epa({"presence", "sip:alice@example.com", "", expires}, ids.source()) {}
  std::vector<ev::publisher_event> events() { return drain<ev::publication_client, ev::publisher_event>(epa); }
  std::vector<sm::message> sent(std::vector<std::uint64_t>* keys = nullptr) {
    std::vector<sm::message> out;
    for (auto& e : events())
      if (e.what == ev::publisher_event::kind::send) {
        out.push_back(wire(e.request, "pua.example.com"));
        if (keys) keys->push_back(e.request.key);
      }
    return out;
  }
};
sm::message ok_etag(const sm::message& req, const std::string& etag, std::uint32_t expires) {
  return answer(req, 200, "x", {{"SIP-ETag", etag}, {"Expires", std::to_string(expires)}});
}
}  // namespace

TEST_CASE("epa: initial, refresh at expiry minus the margin (not a tick before), modify, remove") {
  epa_fixture f;
  f.epa.publish("application/pidf+xml", "<doc1/>", t0);
  std::vector<std::uint64_t> k;
  auto s = f.sent(&k);
  REQUIRE(s.size() == 1);
  CHECK(s[0].sip_if_match().empty());
  CHECK(s[0].body() == "<doc1/>");
  CHECK(header(s[0], "Event") == "presence");
  f.epa.on_response(k[0], ok_etag(s[0], "E1", 1800), t0);
  auto ev1 = f.events();
  REQUIRE(ev1.size() == 1);
  CHECK(ev1[0].what == ev::publisher_event::kind::published);
  CHECK(ev1[0].etag == "E1");
  // 1800 s granted: refresh 30 s before.
  CHECK(f.epa.next_deadline() == t0 + 1770s);
  f.epa.advance(t0 + 1770s - 1ns);
  CHECK(f.sent().empty());
  f.epa.advance(t0 + 1770s);
  k.clear();
  s = f.sent(&k);
  REQUIRE(s.size() == 1);
  CHECK(s[0].sip_if_match() == "E1");
  CHECK(s[0].body().empty());
  f.epa.on_response(k[0], ok_etag(s[0], "E2", 1800), t0 + 1770s);
  f.events();
  f.epa.publish("application/pidf+xml", "<doc2/>", t0 + 1800s);
  k.clear();
  s = f.sent(&k);
  REQUIRE(s.size() == 1);
  CHECK(s[0].sip_if_match() == "E2");
  CHECK(s[0].body() == "<doc2/>");
  f.epa.on_response(k[0], ok_etag(s[0], "E3", 1800), t0 + 1800s);
  f.events();
  f.epa.remove(t0 + 1900s);
  k.clear();
  s = f.sent(&k);
  REQUIRE(s.size() == 1);
  CHECK(s[0].expires() == 0u);
  CHECK(s[0].sip_if_match() == "E3");
  f.epa.on_response(k[0], answer(s[0], 200, "x", {{"Expires", "0"}}), t0 + 1900s);
  auto last = f.events();
  REQUIRE(last.size() == 1);
  CHECK(last[0].what == ev::publisher_event::kind::removed);
  CHECK(f.epa.done());
  CHECK(f.epa.next_deadline() == ev::time_point::max());
}

TEST_CASE("epa: one PUBLISH in flight, changes meanwhile coalesce into one, the last wins") {
  epa_fixture f;
  f.epa.publish("application/pidf+xml", "<a/>", t0);
  std::vector<std::uint64_t> k;
  auto s = f.sent(&k);
  f.epa.publish("application/pidf+xml", "<b/>", t0 + 1ms);
  f.epa.publish("application/pidf+xml", "<c/>", t0 + 2ms);
  CHECK(f.sent().empty());
  f.epa.on_response(k[0], ok_etag(s[0], "E1", 3600), t0 + 10ms);
  k.clear();
  s = f.sent(&k);
  REQUIRE(s.size() == 1);
  CHECK(s[0].body() == "<c/>");
  CHECK(s[0].sip_if_match() == "E1");
  // A remove asked for while a modify is in flight goes after it.
  f.epa.remove(t0 + 11ms);
  CHECK(f.sent().empty());
  f.epa.on_response(k[0], ok_etag(s[0], "E2", 3600), t0 + 20ms);
  s = f.sent();
  REQUIRE(s.size() == 1);
  CHECK((s[0].expires() == 0u && s[0].sip_if_match() == "E2"));
}

TEST_CASE("epa: 412 republishes full state without If-Match, 423 retries with Min-Expires, 5xx retries later") {
  epa_fixture f(30);
  f.epa.publish("application/pidf+xml", "<a/>", t0);
  std::vector<std::uint64_t> k;
  auto s = f.sent(&k);
  f.epa.on_response(k[0], answer(s[0], 423, "x", {{"Min-Expires", "60"}}), t0);
  k.clear();
  s = f.sent(&k);
  REQUIRE(s.size() == 1);
  CHECK(s[0].expires() == 60u);
  CHECK(s[0].body() == "<a/>");
  f.epa.on_response(k[0], ok_etag(s[0], "E1", 60), t0);
  f.events();
  f.epa.advance(t0 + 40s);  // refresh at 60 - 20
  k.clear();
  s = f.sent(&k);
  REQUIRE(s.size() == 1);
  CHECK(s[0].sip_if_match() == "E1");
  f.epa.on_response(k[0], answer(s[0], 412, "x"), t0 + 40s);
  k.clear();
  s = f.sent(&k);
  REQUIRE(s.size() == 1);
  CHECK(s[0].sip_if_match().empty());
  CHECK(s[0].body() == "<a/>");
  f.epa.on_response(k[0], answer(s[0], 503, "x", {{"Retry-After", "5"}}), t0 + 41s);
  auto ev1 = f.events();
  REQUIRE(ev1.size() == 1);
  CHECK((ev1[0].what == ev::publisher_event::kind::failed && ev1[0].status == 503 && ev1[0].retrying));
  CHECK(f.epa.next_deadline() == t0 + 46s);
  f.epa.advance(t0 + 46s);
  s = f.sent();
  REQUIRE(s.size() == 1);
  CHECK(s[0].sip_if_match().empty());
}

// ---- EPA and ESC together, and the seed presence flow --------------------------------------

TEST_CASE("presence flow: SUBSCRIBE, 200, NOTIFY closed, PUBLISH, NOTIFY open with contact, two devices") {
  esc_fixture f;
  tokens sids, cids, pids1, pids2;
  ev::server_config scfg;
  scfg.contact = "sip:pa.example.com";
  ev::subscription_server srv(sids.source(), scfg, {.authorize = ev::same_domain});
  srv.add_package(f.pkg);
  pr::presence_package decoder;
  const std::string a = "sip:presentity@example.com";
  ev::subscribe_params sp{"presence", "", "sip:watcher@example.com", a, "", "sip:watcher@192.0.2.9",
                          {"application/pidf+xml"}, 3600, {}};
  ev::subscription_client watcher(sp, cids.source(), {}, &decoder);
  std::vector<pr::presence_document> seen;
  auto deliver = [&](ev::time_point now) {
    ev::server_event se;
    while (srv.poll(se)) {
      if (se.what != ev::server_event::kind::send) continue;
      sm::message n = wire(se.request, "pa.example.com");
      srv.on_response(se.request.key, answer(n, watcher.on_notify(n, now), ""), now);
      for (auto& ce : drain(watcher))
        if (ce.what == ev::client_event::kind::notify) {
          REQUIRE(ce.body.ok);
          seen.push_back(std::any_cast<const pr::presence_document&>(ce.body.state));
        }
    }
  };
  auto exchange = [&](ev::publication_client& epa, ev::time_point now) {
    ev::publisher_event pe;
    while (epa.poll(pe)) {
      if (pe.what != ev::publisher_event::kind::send) continue;
      sm::message req = wire(pe.request, "pua.example.com");
      sm::message resp = f.handle(req, now);
      ev::publication_change c;
      for (std::size_t i = 0; i < f.changed.size(); ++i)
        if (f.changed[i]) srv.changed("presence", a, now);
      f.changed.clear();
      epa.on_response(pe.request.key, resp, now);
    }
  };

  watcher.start(t0);
  auto ce = drain(watcher);
  sm::message sub = wire(ce.at(0).request, "watcherhost.example.com");
  srv.on_subscribe(1, sub, t0);
  auto se = drain(srv);
  REQUIRE(se.at(0).what == ev::server_event::kind::respond);
  sm::message ok = build(se.at(0).response);
  CHECK(ok.status() == 200);
  CHECK(ok.expires() == 3600u);
  watcher.on_response(ce.at(0).request.key, ok, t0);
  for (auto& e : se)
    if (e.what == ev::server_event::kind::send) {
      sm::message n = wire(e.request, "pa.example.com");
      srv.on_response(e.request.key, answer(n, watcher.on_notify(n, t0), ""), t0);
      for (auto& c : drain(watcher))
        if (c.what == ev::client_event::kind::notify)
          seen.push_back(std::any_cast<const pr::presence_document&>(c.body.state));
    }
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].tuples.at(0).basic == pr::basic_status::closed);

  ev::publication_client phone({"presence", a, "", 3600}, pids1.source());
  phone.publish("application/pidf+xml", pidf(a, "phone", "open", "sip:presentity@192.0.2.7"), t0 + 1s);
  exchange(phone, t0 + 1s);
  deliver(t0 + 1s);
  REQUIRE(seen.size() == 2);
  REQUIRE(seen[1].tuples.size() == 1);
  CHECK(seen[1].tuples[0].basic == pr::basic_status::open);
  CHECK(seen[1].tuples[0].contact->uri == "sip:presentity@192.0.2.7");

  // A second device joins, then both refresh and one leaves: NOTIFYs only on change.
  ev::publication_client laptop({"presence", a, "", 600}, pids2.source());
  laptop.publish("application/pidf+xml", pidf(a, "laptop", "open", "sip:presentity@192.0.2.8"), t0 + 2s);
  exchange(laptop, t0 + 2s);
  deliver(t0 + 2s);
  REQUIRE(seen.size() == 3);
  CHECK(seen[2].tuples.size() == 2);
  laptop.advance(t0 + 2s + 570s);  // refresh (600 - 30)
  exchange(laptop, t0 + 572s);
  deliver(t0 + 572s);
  CHECK(seen.size() == 3);
  laptop.remove(t0 + 600s);
  exchange(laptop, t0 + 600s);
  deliver(t0 + 600s);
  REQUIRE(seen.size() == 4);
  REQUIRE(seen[3].tuples.size() == 1);
  CHECK(seen[3].tuples[0].id == "phone");
  CHECK(f.esc->publications("presence", a).size() == 1);
}

TEST_CASE("presence package: a watcher from another domain is refused, pending sees the hard state") {
  esc_fixture f;
  tokens sids;
  ev::subscription_server srv(sids.source(), {}, {.authorize = ev::same_domain});
  srv.add_package(f.pkg);
  auto sub = build(sm::message_builder::request("SUBSCRIBE", "sip:alice@example.com")
                       .header("Via", "SIP/2.0/UDP evil.example.org;branch=z9hG4bKs").header("From", "<sip:eve@example.org>;tag=1")
                       .header("To", "<sip:alice@example.com>").header("Call-ID", "s1").header("CSeq", "1 SUBSCRIBE")
                       .header("Contact", "<sip:eve@192.0.2.66>").header("Event", "presence"));
  srv.on_subscribe(1, sub, t0);
  auto se = drain(srv);
  CHECK(build(se.at(0).response).status() == 403);
  ev::watcher_view w;
  w.resource = "sip:alice@example.com";
  auto neutral = f.pkg.neutral_state(w);
  auto d = doc_of(neutral->text);
  CHECK((d.tuples.size() == 1 && d.tuples[0].basic == pr::basic_status::closed));
}

TEST_CASE("presence package: publications another package decoded are read from their body") {
  // The ESC serves Event: presence with a package of the application's that keeps the
  // text (the default decode); composition must still see the PIDF.
  struct text_presence : ev::package {
    std::string_view name() const override { return "presence"; }
    std::vector<std::string> content_types() const override { return {"application/pidf+xml"}; }
    std::optional<ev::body> state(const ev::watcher_view&) override { return std::nullopt; }
  } text;
  tokens ids;
  ev::publication_server esc(ids.source());
  esc.add_package(text, {3600, 60, 86400});
  pr::presence_package pkg(&esc);
  const std::string a = "sip:presentity@example.com";
  sm::message r = build(esc.on_publish(publish(a, pidf(a, "t1", "open", "sip:presentity@192.0.2.4"), 3600), t0));
  REQUIRE(r.status() == 200);
  ev::publication_change c;
  REQUIRE(esc.poll(c));
  CHECK(pkg.apply(c));
  auto d = pkg.compose(a);
  REQUIRE(d.tuples.size() == 1);
  CHECK(d.tuples[0].id == "t1");
  CHECK(d.tuples[0].basic == pr::basic_status::open);
  CHECK(d.tuples[0].contact->uri == "sip:presentity@192.0.2.4");
}

TEST_CASE("epa: a refresh that fails without Retry-After is tried again while the publication lives") {
  epa_fixture f;
  f.epa.publish("application/pidf+xml", "<doc/>", t0);
  std::vector<std::uint64_t> k;
  auto s = f.sent(&k);
  f.epa.on_response(k[0], ok_etag(s[0], "E1", 60), t0);
  f.events();
  // 60 s granted: refresh 20 s before (a third), at t0 + 40 s.
  CHECK(f.epa.next_deadline() == t0 + 40s);
  f.epa.advance(t0 + 40s);
  k.clear();
  s = f.sent(&k);
  REQUIRE(s.size() == 1);
  // The server is down (a restart): 503 without Retry-After after 4 s of Timer E.
  f.epa.on_failure(k[0], 503, t0 + 44s);
  auto ev = f.events();
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].retrying);
  // Half of the 16 s left, not the 30 s retry that would let it lapse at t0 + 60 s.
  CHECK(f.epa.next_deadline() == t0 + 52s);
  f.epa.advance(t0 + 52s - 1ns);
  CHECK(f.sent().empty());
  f.epa.advance(t0 + 52s);
  s = f.sent();
  REQUIRE(s.size() == 1);
  CHECK(s[0].sip_if_match() == "E1");
  CHECK(s[0].body().empty());
}

TEST_CASE("presence package: a registered contact is open until something is published, and after") {
  tokens ids;
  ev::publication_server esc(ids.source());
  pr::presence_package pkg(&esc);
  esc.add_package(pkg, {3600, 60, 86400});
  const std::string a = "sip:joe@example.com";
  auto basic = [&] {
    auto d = pkg.compose(a);
    REQUIRE(d.tuples.size() == 1);
    return std::string(pr::to_string(d.tuples[0].basic));
  };
  CHECK(basic() == "closed");  // hard state
  CHECK(pkg.registered(a, {"sip:joe@192.0.2.4:5060"}));
  CHECK(basic() == "open");
  CHECK(pkg.compose(a).tuples[0].contact->uri == "sip:joe@192.0.2.4:5060");
  CHECK_FALSE(pkg.registered(a, {"sip:joe@192.0.2.4:5060"}));  // the same: nothing to notify
  // A publication wins over the registration, whatever it says.
  sm::message r = build(esc.on_publish(publish(a, pidf(a, "t1", "closed", ""), 3600), t0));
  REQUIRE(r.status() == 200);
  ev::publication_change c;
  REQUIRE(esc.poll(c));
  CHECK(pkg.apply(c));
  CHECK(basic() == "closed");
  CHECK(pkg.compose(a).tuples[0].id == "t1");
  // Unregistered: back to the hard state once the publication goes too.
  CHECK_FALSE(pkg.registered(a, {}));  // the publication still decides
  REQUIRE(build(esc.on_publish(publish(a, std::nullopt, 0, c.etag), t0 + std::chrono::seconds(1))).status() == 200);
  REQUIRE(esc.poll(c));
  CHECK(pkg.apply(c));
  CHECK(basic() == "closed");
  CHECK(pkg.compose(a).tuples[0].id == "offline");
  // Turned off, a registration changes nothing.
  pr::presence_config off;
  off.registrations_open = false;
  pr::presence_package quiet(&esc, off);
  quiet.registered(a, {"sip:joe@192.0.2.4"});
  CHECK(quiet.compose(a).tuples[0].basic == pr::basic_status::closed);
}

// ---- Partial PIDF (RFC 5262, RFC 5263) ----------------------------------------------

namespace {

pr::presence_document ten_tuples(const std::string& entity) {
  pr::presence_document d;
  d.entity = entity;
  for (int i = 0; i < 10; ++i) {
    pr::tuple t;
    t.id = "device" + std::to_string(i);
    t.basic = pr::basic_status::open;
    t.contact = pr::contact_address{"sip:user@192.0.2." + std::to_string(10 + i) + ":5060", std::string("0.8")};
    t.notes.push_back({"Desk phone " + std::to_string(i), "en"});
    t.timestamp = "2026-12-07T08:00:0" + std::to_string(i) + "Z";
    d.tuples.push_back(std::move(t));
  }
  return d;
}

pr::pidf_update update_of(const std::string& xml) {
  pr::pidf_update u;
  std::string err;
  INFO(xml);
  INFO(err);
  REQUIRE(pr::decode_pidf_update(xml, u, &err));
  return u;
}

}  // namespace

TEST_CASE("pidf-diff: every kind of change goes through a diff and a view into the same document") {
  const pr::presence_document start = ten_tuples("pres:someone@example.com");
  pr::pidf_view view;
  std::uint32_t version = 7;
  REQUIRE(view.apply(update_of(pr::encode_pidf_full(start, version))) == pr::pidf_view::result::applied);
  CHECK(view.document() == start);
  pr::presence_document cur = start;
  std::vector<std::function<void(pr::presence_document&)>> changes = {
      [](auto& d) { d.tuples[3].basic = pr::basic_status::closed; },              // basic only
      [](auto& d) { d.tuples[0].notes[0].text = "At lunch <back at 2> & more"; }, // a whole tuple
      [](auto& d) { d.tuples.erase(d.tuples.begin() + 5); },                       // removed
      [](auto& d) {                                                                 // added at the end
        pr::tuple t;
        t.id = "new1";
        t.basic = pr::basic_status::open;
        d.tuples.push_back(t);
      },
      [](auto& d) {  // a person arrives (with its namespaces)
        pr::person p;
        p.id = "p1";
        p.activities = {pr::activity::on_the_phone};
        d.persons.push_back(p);
      },
      [](auto& d) { d.persons[0].activities = {pr::activity::meeting}; },
      [](auto& d) { d.tuples.clear(); d.tuples.push_back({"solo", pr::basic_status::closed, {}, {}, {}, {}, {}}); },
      [](auto& d) { d.persons.clear(); },
      [](auto& d) { d.notes.push_back({"a presence note", ""}); },  // not a diff: full state
  };
  std::size_t diffs = 0, fulls = 0;
  for (std::size_t i = 0; i < changes.size(); ++i) {
    CAPTURE(i);
    pr::presence_document next = cur;
    changes[i](next);
    std::optional<std::string> diff = pr::encode_pidf_diff(cur, next, ++version);
    const std::string body = diff ? *diff : pr::encode_pidf_full(next, version);
    diffs += diff.has_value();
    fulls += !diff;
    CHECK(pr::pidf_full_size(pr::encode(next).size(), version) == pr::encode_pidf_full(next, version).size());
    pr::pidf_update u = update_of(body);
    CHECK(u.full == !diff);
    std::string why;
    REQUIRE(view.apply(u, &why) == pr::pidf_view::result::applied);
    CHECK(view.document() == next);
    CHECK(*view.version() == version);
    cur = next;
  }
  CHECK(diffs == 8);
  CHECK(fulls == 1);
  // The size of full state, known without writing it.
  for (std::uint32_t v : {0u, 9u, 4294967295u}) {
    CHECK(pr::pidf_full_size(pr::encode(cur).size(), v) == pr::encode_pidf_full(cur, v).size());
    CHECK(pr::pidf_full_size(pr::encode(start).size(), v) == pr::encode_pidf_full(start, v).size());
  }
  // Nothing changed: a diff with no operation, one version up.
  auto same = update_of(*pr::encode_pidf_diff(cur, cur, ++version));
  CHECK(same.ops.empty());
  CHECK(view.apply(same) == pr::pidf_view::result::applied);
}

TEST_CASE("pidf-diff: a diff as another notifier writes it (RFC 5261 selectors, prefixes of its own)") {
  pr::pidf_view view;
  auto full = update_of(local("pidf-full-three-tuples.xml"));
  CHECK(full.full);
  CHECK(full.version == 567);
  REQUIRE(view.apply(full) == pr::pidf_view::result::applied);
  REQUIRE(view.document().tuples.size() == 3);
  auto diff = update_of(local("pidf-diff-other-notifier.xml"));
  CHECK_FALSE(diff.full);
  REQUIRE(diff.ops.size() == 4);
  CHECK(diff.ops[0].what == pr::pidf_op::kind::add);
  CHECK(diff.ops[0].pos == pr::pidf_op::position::after);
  CHECK(diff.ops[1].what == pr::pidf_op::kind::basic);
  CHECK(diff.ops[2].what == pr::pidf_op::kind::remove);
  CHECK(diff.ops[3].on_person);
  std::string why;
  REQUIRE(view.apply(diff, &why) == pr::pidf_view::result::applied);
  const auto& d = view.document();
  std::vector<std::string> ids;
  for (const auto& t : d.tuples) ids.push_back(t.id + "=" + std::string(pr::to_string(t.basic)));
  CHECK(ids == std::vector<std::string>{"r1230d=closed", "ert4773=open", "cg231jcr=open"});
  CHECK(d.persons.at(0).activities == std::vector<pr::activity>{pr::activity::on_the_phone});
  // The same diff again is a version gap: full state is needed, the state is kept.
  CHECK(view.apply(diff, &why) == pr::pidf_view::result::need_full);
  CHECK(why == "version 568 after 568");
  CHECK(view.document() == d);
}

TEST_CASE("pidf-diff: what cannot be read or applied is refused with the reason") {
  const std::string head = "<?xml version=\"1.0\"?><p:pidf-diff xmlns=\"urn:ietf:params:xml:ns:pidf\" "
                           "xmlns:p=\"urn:ietf:params:xml:ns:pidf-diff\" entity=\"pres:a@example.com\" version=\"2\">";
  const std::string tail = "</p:pidf-diff>";
  const std::pair<std::string, std::string> bad[] = {
      {"<pidf-diff", "not XML: "},
      {"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"a\"/>", "root is not pidf-full or pidf-diff"},
      {"<p:pidf-diff xmlns:p=\"urn:ietf:params:xml:ns:pidf-diff\" version=\"1\"/>", "pidf-diff without entity"},
      {"<p:pidf-diff xmlns:p=\"urn:ietf:params:xml:ns:pidf-diff\" entity=\"a\" version=\"x\"/>",
       "pidf-diff without a numeric version"},
      {head + "<p:move sel=\"*\"/>" + tail, "unknown operation <p:move>"},
      {head + "<p:remove/>" + tail, "<p:remove> without sel"},
      {head + "<p:remove sel=\"*/tuple[1]\"/>" + tail, "selector not understood: */tuple[1]"},
      {head + "<p:remove sel=\"*/other[@id='x']\"/>" + tail, "selector not understood: */other[@id='x']"},
      {head + "<p:remove sel=\"*\"/>" + tail, "remove of the whole document"},
      {head + "<p:replace sel=\"*/tuple[@id='t']/status/basic/text()\">maybe</p:replace>" + tail,
       "basic must be open or closed, not \"maybe\""},
      {head + "<p:add sel=\"*/tuple[@id='t']\"><tuple id=\"u\"><status/></tuple></p:add>" + tail, "add inside a tuple"},
      {head + "<p:add sel=\"*\" pos=\"after\"><tuple id=\"u\"><status/></tuple></p:add>" + tail,
       "pos=\"after\" not understood for *"},
      {head + "<p:replace sel=\"*/tuple[@id='t']\"><note>x</note></p:replace>" + tail,
       "replace of something other than tuples or persons"},
      {head + "<p:replace sel=\"*/tuple[@id='t']\"><tuple><status/></tuple></p:replace>" + tail, "tuple without id"},
      {head + "<p:add sel=\"*\"/>" + tail, "add with nothing in it"},
  };
  for (const auto& [xml, why] : bad) {
    CAPTURE(xml);
    pr::pidf_update u;
    std::string err;
    CHECK_FALSE(pr::decode_pidf_update(xml, u, &err));
    CHECK(err.rfind(why, 0) == 0);
  }
  // Read, but not applicable to the state held: the view asks for full state.
  pr::pidf_view view;
  std::string why;
  auto diff = update_of(head + "<p:remove sel=\"*/tuple[@id='t']\"/>" + tail);
  CHECK(view.apply(diff, &why) == pr::pidf_view::result::need_full);
  CHECK(why == "a partial document before any full state");
  pr::presence_document base;
  base.entity = "pres:a@example.com";
  REQUIRE(view.apply({base.entity, 1, true, base, {}}) == pr::pidf_view::result::applied);
  CHECK(view.apply(diff, &why) == pr::pidf_view::result::need_full);
  CHECK(why == "tuple t is not in the state held");
  CHECK(*view.version() == 1);
}

TEST_CASE("pidf-diff: only a watcher naming it gets it - bytes per NOTIFY for 10 tuples where one changes") {
  esc_fixture f;
  tokens sids;
  ev::server_config scfg;
  scfg.contact = "sip:pa.example.com";
  ev::subscription_server srv(sids.source(), scfg);
  srv.add_package(f.pkg);
  const std::string a = "sip:presentity@example.com";
  // One device publishes ten tuples.
  pr::presence_document ten = ten_tuples(a);
  REQUIRE(f.handle(publish(a, pr::encode(ten), 3600), t0).status() == 200);
  auto subscribe = [&](std::uint64_t txn, const std::string& call, std::vector<std::string> accept) {
    auto b = sm::message_builder::request("SUBSCRIBE", a);
    b.header("Via", "SIP/2.0/UDP w.example.com;branch=z9hG4bK" + call);
    b.header("From", "<sip:w@example.com>;tag=" + call);
    b.header("To", "<" + a + ">");
    b.header("Call-ID", call);
    b.header("CSeq", "1 SUBSCRIBE");
    b.header("Contact", "<sip:w@192.0.2.9>");
    b.header("Event", "presence");
    for (const auto& x : accept) b.header("Accept", x);
    srv.on_subscribe(txn, build(b), t0);
  };
  subscribe(1, "plain", {"application/pidf+xml"});
  subscribe(2, "diff", {"application/pidf-diff+xml", "application/pidf+xml"});
  subscribe(3, "star", {"*/*"});
  subscribe(4, "wild", {"application/*"});
  subscribe(5, "none", {});
  std::map<std::string, std::vector<sm::message>> got;  // by Call-ID
  auto deliver = [&](ev::time_point now) {
    ev::server_event e;
    while (srv.poll(e))
      if (e.what == ev::server_event::kind::send) {
        sm::message n = wire(e.request, "pa.example.com");
        got[std::string(n.call_id())].push_back(n);
        srv.on_response(e.request.key, answer(n, 200, ""), now);
      }
  };
  deliver(t0);
  for (const char* c : {"plain", "star", "wild", "none"}) {
    CAPTURE(c);
    REQUIRE(got[c].size() == 1);
    CHECK(got[c][0].content_type()->subtype == "pidf+xml");
  }
  REQUIRE(got["diff"].size() == 1);
  CHECK(got["diff"][0].content_type()->subtype == "pidf-diff+xml");
  pr::pidf_view view;
  REQUIRE(view.apply(update_of(std::string(got["diff"][0].body()))) == pr::pidf_view::result::applied);
  CHECK(view.document() == doc_of(std::string(got["plain"][0].body())));

  // One of the ten changes.
  ten.tuples[4].basic = pr::basic_status::closed;
  ten.tuples[4].timestamp = "2026-12-07T08:05:00Z";
  auto etag = std::string(f.esc->publications("presence", a).at(0)->etag);
  REQUIRE(f.handle(publish(a, pr::encode(ten), 3600, etag), t0 + 1s).status() == 200);
  srv.changed("presence", a, t0 + 1s);
  deliver(t0 + 1s);
  REQUIRE(got["plain"].size() == 2);
  REQUIRE(got["diff"].size() == 2);
  const sm::message& full = got["plain"][1];
  const sm::message& part = got["diff"][1];
  auto u = update_of(std::string(part.body()));
  CHECK_FALSE(u.full);
  CHECK(u.version == 1);
  REQUIRE(view.apply(u) == pr::pidf_view::result::applied);
  CHECK(view.document() == doc_of(std::string(full.body())));
  const std::size_t full_msg = full.serialize().size(), part_msg = part.serialize().size();
  std::printf("pidf-diff: 10 tuples, one changed: body %zu B full vs %zu B partial; NOTIFY %zu B vs %zu B (%.0f%% saved)\n",
              full.body().size(), part.body().size(), full_msg, part_msg,
              100.0 * (1.0 - double(part_msg) / double(full_msg)));
  CHECK(part.body().size() * 4 < full.body().size());
}

TEST_CASE("pidf-diff: a lost NOTIFY is a version gap - the subscriber refreshes and gets full state") {
  esc_fixture f;
  tokens sids, cids;
  ev::server_config scfg;
  scfg.contact = "sip:pa.example.com";
  ev::subscription_server srv(sids.source(), scfg);
  srv.add_package(f.pkg);
  const std::string a = "sip:presentity@example.com";
  pr::presence_document doc = ten_tuples(a);
  REQUIRE(f.handle(publish(a, pr::encode(doc), 3600), t0).status() == 200);
  pr::presence_package decoder;
  ev::subscribe_params sp{"presence", "", "sip:w@example.com", a, "", "sip:w@192.0.2.9",
                          {"application/pidf-diff+xml", "application/pidf+xml"}, 3600, {}};
  ev::subscription_client watcher(sp, cids.source(), {}, &decoder);
  pr::pidf_view view;
  std::vector<std::string> log;  // what the watcher made of each NOTIFY
  bool lose_next = false;
  auto run = [&](ev::time_point now) {
    for (int round = 0; round < 4; ++round) {
      for (auto& ce : drain(watcher)) {
        if (ce.what == ev::client_event::kind::send) {
          srv.on_subscribe(ce.request.key, wire(ce.request, "w.example.com"), now);
          // The 2xx goes back to the watcher below, with the server's other events.
          ev::server_event se;
          while (srv.poll(se)) {
            if (se.what == ev::server_event::kind::respond) {
              watcher.on_response(ce.request.key, build(se.response), now);
            } else if (se.what == ev::server_event::kind::send) {
              sm::message n = wire(se.request, "pa.example.com");
              srv.on_response(se.request.key, answer(n, watcher.on_notify(n, now), ""), now);
            }
          }
        } else if (ce.what == ev::client_event::kind::notify) {
          const auto* u = std::any_cast<pr::pidf_update>(&ce.body.state);
          REQUIRE(u);
          std::string why;
          if (view.apply(*u, &why) == pr::pidf_view::result::applied) {
            log.push_back(std::string(u->full ? "full v" : "diff v") + std::to_string(u->version));
          } else {
            log.push_back("gap: " + why);
            watcher.refresh(now);
          }
        }
      }
      ev::server_event se;
      while (srv.poll(se))
        if (se.what == ev::server_event::kind::send) {
          sm::message n = wire(se.request, "pa.example.com");
          // A lost NOTIFY that a stateful proxy on the way answered 500.
          if (std::exchange(lose_next, false)) srv.on_response(se.request.key, answer(n, 500, ""), now);
          else srv.on_response(se.request.key, answer(n, watcher.on_notify(n, now), ""), now);
        }
    }
  };
  auto change = [&](int tuple, ev::time_point now) {
    doc.tuples[tuple].basic = doc.tuples[tuple].basic == pr::basic_status::open ? pr::basic_status::closed
                                                                                : pr::basic_status::open;
    auto etag = std::string(f.esc->publications("presence", a).at(0)->etag);
    REQUIRE(f.handle(publish(a, pr::encode(doc), 3600, etag), now).status() == 200);
    srv.changed("presence", a, now);
    run(now);
  };
  watcher.start(t0);
  run(t0);
  change(1, t0 + 1s);
  lose_next = true;
  change(2, t0 + 2s);
  change(3, t0 + 3s);
  CHECK(log == std::vector<std::string>{"full v0", "diff v1", "gap: version 3 after 1", "full v4"});
  CHECK(view.document() == f.pkg.compose(a));
}
