// Digest authentication: the typed headers (codec), RFC 7616's worked examples, and
// the sans-I/O client and server driven against each other at explicit instants.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <string>
#include <vector>

#include "sipevents/auth/digest_client.hpp"
#include "sipevents/auth/digest_server.hpp"
#include "sipevents/auth/users_file.hpp"
#include "sipevents/crypto/openssl_crypto.hpp"
#include "sipevents/message/auth_headers.hpp"
#include "sipevents/message/check.hpp"
#include "sipevents/message/message.hpp"

namespace sm = sipevents::message;
namespace sa = sipevents::auth;
using sm::digest_algorithm;
using namespace std::chrono_literals;

namespace {

sipevents::crypto::openssl_crypto& crypto() { return sipevents::crypto::default_crypto(); }

const sa::wall_clock::time_point t0 = sa::wall_clock::time_point{} + std::chrono::seconds(1'780'000'000);

/// `text` as a message, with `lines` ("Name: value\r\n" ...) after the start line.
sm::message parse(std::string text, std::string_view lines = {}) {
  text.insert(text.find("\r\n") + 2, lines);
  sm::message m;
  REQUIRE(!sm::parse_datagram(text, m));
  return m;
}

sm::message_builder request(std::string_view method = "REGISTER", std::uint32_t cseq = 1,
                            std::string_view from = "sip:joe@example.com") {
  auto b = sm::message_builder::request(method, method == "REGISTER" ? "sip:example.com" : "sip:bob@example.com");
  b.header("Via", "SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK" + std::to_string(cseq));
  b.header("From", "<" + std::string(from) + ">;tag=f1");
  b.header("To", method == "REGISTER" ? "<" + std::string(from) + ">" : "<sip:bob@example.com>");
  b.header("Call-ID", "call-1");
  b.header("CSeq", std::to_string(cseq) + " " + std::string(method));
  b.header("Contact", "<sip:joe@192.0.2.4>");
  if (method == "MESSAGE") b.body("text/plain", "hello");
  return b;
}

/// The 401/407 a server verdict asks for, to `req`.
sm::message answer(const sm::message& req, const sa::verdict& v) {
  auto b = sm::message_builder::response_to(req, v.status, v.reason, "srv1");
  sa::digest_server::add_challenges(b, v);
  sm::message m;
  REQUIRE(!b.build(m));
  return m;
}

/// The REGISTER (CSeq 2) a client with `user` and `pw` sends after challenge `resp`.
sm::message client_answer(const sm::message& req, const sm::message& resp, std::string user, std::string pw) {
  sa::digest_client cli(crypto(), [=](std::string_view, const sm::message&) -> std::optional<sa::secret> {
    return sa::secret{user, pw, {}};
  });
  sa::digest_client::attempt a;
  auto lines = cli.on_challenge(req, resp, "t", a);
  REQUIRE(lines);
  return parse(request("REGISTER", 2).text(), *lines);
}

struct users {
  std::map<std::string, sa::secret, std::less<>> table;
  users() {
    table["joe"] = sa::secret{"joe", "s3cret w/ space", {}};
    table["ann"] = sa::secret{"ann", "", {{digest_algorithm::sha256, sa::ha1(crypto(), digest_algorithm::sha256, "ann",
                                                                             "example.com", "annpw")}}};
  }
  sa::user_lookup lookup() {
    return [this](std::string_view u) -> const sa::secret* {
      auto it = table.find(u);
      return it == table.end() ? nullptr : &it->second;
    };
  }
};

sa::server_auth_config server_cfg() {
  sa::server_auth_config c;
  c.realm = "example.com";
  c.secret = "0123456789abcdef0123456789abcdef";
  c.algorithms = {digest_algorithm::md5, digest_algorithm::sha256};
  return c;
}

}  // namespace

// ---- codec --------------------------------------------------------------------------

TEST_CASE("auth headers: RFC 7616 3.9.1 challenges, one per algorithm, read in order") {
  const std::string text =
      "SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\n"
      "Call-ID: c\r\nCSeq: 1 REGISTER\r\n"
      "WWW-Authenticate: Digest\r\n    realm=\"http-auth@example.org\",\r\n    qop=\"auth, auth-int\",\r\n"
      "    algorithm=SHA-256,\r\n    nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n"
      "    opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"\r\n"
      "WWW-Authenticate: Digest\r\n    realm=\"http-auth@example.org\",\r\n    qop=\"auth, auth-int\",\r\n"
      "    algorithm=MD5,\r\n    nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n"
      "    opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"\r\nContent-Length: 0\r\n\r\n";
  sm::message m;
  REQUIRE(!sm::parse_datagram(text, m));
  std::size_t bad = 9;
  auto cs = sm::read_challenges(m, sm::hdr::www_authenticate, &bad);
  CHECK(bad == 0);
  REQUIRE(cs.size() == 2);
  CHECK(cs[0].algorithm == digest_algorithm::sha256);
  CHECK(cs[1].algorithm == digest_algorithm::md5);
  for (const auto& c : cs) {
    CHECK(c.scheme == "Digest");
    CHECK(c.realm == "http-auth@example.org");
    CHECK(c.nonce == "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
    CHECK(c.opaque == "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");
    CHECK(c.qop_auth);
    CHECK(c.qop_auth_int);
    CHECK(!c.stale);
    CHECK(c.usable());
  }
}

TEST_CASE("auth headers: several challenges in one header value") {
  sm::challenge c;
  std::string_view next;
  const std::string v = "Digest realm=\"a\", nonce=\"n1\", algorithm=SHA-512-256, Digest realm=\"a\", nonce=\"n2\","
                        " Basic realm=\"b\"";
  REQUIRE(!sm::parse_challenge(v, c, &next));
  CHECK(c.algorithm == digest_algorithm::sha512_256);
  CHECK(c.nonce == "n1");
  REQUIRE(!sm::parse_challenge(next, c, &next));
  CHECK(c.nonce == "n2");
  CHECK(c.algorithm == digest_algorithm::md5);  // absent means MD5
  CHECK(c.algorithm_text.empty());
  REQUIRE(!sm::parse_challenge(next, c, &next));
  CHECK(c.scheme == "Basic");
  CHECK(!c.usable());
  CHECK(next.empty());
  // Without `next`, a second challenge is an error.
  CHECK(sm::parse_challenge(v, c));
}

TEST_CASE("auth headers: challenge parameters and faults") {
  sm::challenge c;
  REQUIRE(!sm::parse_challenge("Digest realm=\"ex\\\"q\", nonce=\"n\", stale=TRUE, qop=\"auth-int\", domain=\"sip:x\","
                               " userhash=true, charset=UTF-8, algorithm=MD5-sess, futureparam=\"x, y\"",
                               c));
  CHECK(c.realm == "ex\\\"q");
  CHECK(sm::unquote_text(c.realm) == "ex\"q");
  CHECK(c.stale);
  CHECK(c.qop_auth_int);
  CHECK(!c.qop_auth);
  CHECK(c.userhash);
  CHECK(c.charset == "UTF-8");
  CHECK(c.domain == "sip:x");
  CHECK(c.algorithm == digest_algorithm::md5_sess);
  REQUIRE(!sm::parse_challenge("Digest realm=\"r\", nonce=\"n\", stale=false, algorithm=SHA-999", c));
  CHECK(!c.stale);
  CHECK(c.algorithm == digest_algorithm::unknown);
  CHECK(!c.usable());
  for (const char* badv : {"Digest nonce=\"n\"",                            // no realm
                           "Digest realm=\"r\"",                            // no nonce
                           "Digest realm=\"r\", nonce=\"n\", realm=\"s\"",  // twice
                           "Digest realm=\"r\", nonce=\"n\",",              // trailing comma
                           "Digest realm=\"r, nonce=\"n\"",                 // unterminated
                           "Digest realm=\"r\",, nonce=\"n\"",              // empty element
                           "Digest realm=\"r\", nonce=\"n\", userhash=maybe", "Digestrealm=\"r\"", "", "Digest",
                           "Digest realm=\"r\" nonce=\"n\""}) {
    INFO(badv);
    CHECK(sm::parse_challenge(badv, c));
  }
}

TEST_CASE("auth headers: credentials and Authentication-Info") {
  sm::credentials cr;
  REQUIRE(!sm::parse_credentials(
      "Digest username=\"Mufasa\",\r\n realm=\"http-auth@example.org\", uri=\"/dir/index.html\", algorithm=MD5,"
      " nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", nc=00000001,"
      " cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth,"
      " response=\"8ca523f5e9506fed4657c9700eebdbec\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
      cr));
  CHECK(cr.username == "Mufasa");
  CHECK(cr.uri == "/dir/index.html");
  CHECK(cr.nc == 1);
  CHECK(cr.nc_text == "00000001");
  CHECK(cr.qop == "auth");
  CHECK(cr.response == "8ca523f5e9506fed4657c9700eebdbec");
  CHECK(cr.algorithm == digest_algorithm::md5);
  const std::string base = "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:x\", response=\"0a\"";
  REQUIRE(!sm::parse_credentials(base, cr));
  CHECK(cr.qop.empty());
  for (std::string badv : {base + ", qop=auth",                             // no cnonce, nc
                           base + ", qop=auth, cnonce=\"c\", nc=1",         // nc not 8 digits
                           base + ", qop=auth, cnonce=\"c\", nc=0000000g",  // not hex
                           base + ", username=\"v\"",                       // twice
                           std::string("Digest realm=\"r\", nonce=\"n\", uri=\"sip:x\", response=\"0a\""),
                           std::string("Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:x\", response=\"xyz\""),
                           base + ",", std::string("Digest")}) {
    INFO(badv);
    CHECK(sm::parse_credentials(badv, cr));
  }
  // Another scheme is read without Digest's rules (RFC 4475 3.3.7 regaut01).
  CHECK(!sm::parse_credentials("NoOneKnowsThisScheme opaque-data=here", cr));
  CHECK(cr.scheme == "NoOneKnowsThisScheme");

  sm::authentication_info ai;
  REQUIRE(!sm::parse_authentication_info("nextnonce=\"abc\", qop=auth, rspauth=\"00ff\", cnonce=\"c\", nc=0000000a", ai));
  CHECK(ai.nextnonce == "abc");
  CHECK(ai.rspauth == "00ff");
  CHECK(ai.nc == 10);
  CHECK(sm::parse_authentication_info("", ai));
  CHECK(sm::parse_authentication_info("nextnonce=\"a\", nextnonce=\"b\"", ai));
}

TEST_CASE("auth headers: what we write parses back to the same fields") {
  for (digest_algorithm a : {digest_algorithm::md5, digest_algorithm::md5_sess, digest_algorithm::sha256,
                             digest_algorithm::sha256_sess, digest_algorithm::sha512_256,
                             digest_algorithm::sha512_256_sess}) {
    for (int variant = 0; variant < 4; ++variant) {
      sm::challenge_spec s;
      s.realm = variant == 3 ? "we\"ird\\realm" : "example.com";
      s.nonce = "n0nce/+=";
      s.opaque = variant & 1 ? "op" : "";
      s.domain = variant == 2 ? "sip:example.com sip:other.example.com" : "";
      s.algorithm = a;
      s.stale = variant & 1;
      s.qop_auth = variant != 2;
      s.qop_auth_int = variant >= 2;
      s.userhash = variant == 1;
      const std::string text = sm::format_challenge(s);
      INFO(text);
      sm::challenge c;
      REQUIRE(!sm::parse_challenge(text, c));
      CHECK(sm::unquote_text(c.realm) == s.realm);
      CHECK(c.nonce == s.nonce);
      CHECK(c.opaque == s.opaque);
      CHECK(c.domain == s.domain);
      CHECK(c.algorithm == a);
      CHECK(c.stale == s.stale);
      CHECK(c.qop_auth == s.qop_auth);
      CHECK(c.qop_auth_int == s.qop_auth_int);
      CHECK(c.userhash == s.userhash);

      sm::credentials_spec k;
      k.username = variant == 3 ? "j\"oe" : "joe";
      k.realm = s.realm;
      k.nonce = s.nonce;
      k.uri = "sip:example.com;transport=tcp";
      k.response = "0123456789abcdef0123456789abcdef";
      k.cnonce = "c";
      k.opaque = s.opaque;
      k.algorithm = a;
      k.qop = variant == 2 ? "" : variant == 1 ? "auth-int" : "auth";
      k.nc = 0x1234abcd + static_cast<std::uint32_t>(variant);
      k.userhash = s.userhash;
      const std::string ktext = sm::format_credentials(k);
      INFO(ktext);
      sm::credentials cr;
      REQUIRE(!sm::parse_credentials(ktext, cr));
      CHECK(sm::unquote_text(cr.username) == k.username);
      CHECK(sm::unquote_text(cr.realm) == k.realm);
      CHECK(cr.uri == k.uri);
      CHECK(cr.response == k.response);
      CHECK(cr.algorithm == a);
      CHECK(cr.qop == k.qop);
      if (!k.qop.empty()) {
        CHECK(cr.nc == k.nc);
        CHECK(cr.cnonce == "c");
      }
      CHECK(cr.userhash == k.userhash);
    }
  }
}

TEST_CASE("codec: a request without Call-ID, From and To is answered 400 when Via and CSeq route it") {
  // RFC 4475 3.3.1 (insuf): "should respond with 400 Bad Request".
  const std::string text =
      "INVITE sip:user@example.com SIP/2.0\r\nCSeq: 193942 INVITE\r\n"
      "Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf\r\nContent-Type: application/sdp\r\nl: 0\r\n\r\n";
  sm::message m;
  sm::codec_error e = sm::parse_datagram(text, m);
  REQUIRE(e);
  CHECK(e.code == sm::errc::missing_header);
  CHECK(m.can_respond());
  sm::verdict v = sm::check(m, e);
  CHECK(v.what == sm::verdict::action::respond);
  CHECK(v.status == 400);
  CHECK(v.reason.find("From") != std::string::npos);
  // Without a Via there is nowhere to send it.
  const std::string novia = "INVITE sip:user@example.com SIP/2.0\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n";
  (void)sm::parse_datagram(novia, m);
  CHECK(!m.can_respond());
}

// ---- RFC 7616's worked examples -----------------------------------------------------

TEST_CASE("digest: RFC 7616 3.9.1, MD5 and SHA-256") {
  struct v {
    digest_algorithm a;
    const char* response;
  };
  for (auto [a, expected] : {v{digest_algorithm::md5, "8ca523f5e9506fed4657c9700eebdbec"},
                             v{digest_algorithm::sha256,
                               "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"}}) {
    const std::string h1 = sa::ha1(crypto(), a, "Mufasa", "http-auth@example.org", "Circle of Life");
    sa::response_input in;
    in.algorithm = a;
    in.ha1 = h1;
    in.nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    in.cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    in.nc = "00000001";
    in.qop = "auth";
    in.method = "GET";
    in.uri = "/dir/index.html";
    CHECK(sa::response(crypto(), in) == expected);
  }
}

TEST_CASE("digest: RFC 7616 3.9.2, SHA-512-256 with userhash") {
  const std::string user = "J\xc3\xa4s\xc3\xb8n Doe";
  CHECK(sa::user_hash(crypto(), digest_algorithm::sha512_256, user, "api@example.org") ==
        "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b");
  const std::string h1 = sa::ha1(crypto(), digest_algorithm::sha512_256, user, "api@example.org", "Secret, or not?");
  sa::response_input in;
  in.algorithm = digest_algorithm::sha512_256;
  in.ha1 = h1;
  in.nonce = "5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK";
  in.cnonce = "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v";
  in.nc = "00000001";
  in.qop = "auth";
  in.method = "GET";
  in.uri = "/doe.json";
  // The RFC prints 488869... and ae66e67d..., made with a draft SHA-512/256; RFC 7616
  // erratum 4897 gives these, which SHA-512/256 (FIPS 180-4) over the inputs yields.
  CHECK(sa::response(crypto(), in) == "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5");
}

TEST_CASE("digest: -sess and auth-int cover the nonces and the body") {
  const std::string h1 = sa::ha1(crypto(), digest_algorithm::md5, "u", "r", "p");
  sa::response_input in;
  in.algorithm = digest_algorithm::md5;
  in.ha1 = h1;
  in.nonce = "n";
  in.cnonce = "c";
  in.nc = "00000001";
  in.qop = "auth";
  in.method = "MESSAGE";
  in.uri = "sip:x";
  in.body = "hello";
  const std::string plain = sa::response(crypto(), in);
  in.algorithm = digest_algorithm::md5_sess;
  const std::string sess = sa::response(crypto(), in);
  CHECK(sess != plain);
  // MD5-sess: HA1 = H(H(u:r:p):n:c) (RFC 7616 3.4.2).
  in.algorithm = digest_algorithm::md5;
  const std::string h1s = sa::hex_hash(crypto(), sa::hash_fn::md5, h1 + ":n:c");
  in.ha1 = h1s;
  CHECK(sa::response(crypto(), in) == sess);
  in.ha1 = h1;
  in.qop = "auth-int";
  const std::string with_body = sa::response(crypto(), in);
  in.body = "hellO";
  CHECK(sa::response(crypto(), in) != with_body);
  in.qop = "auth";
  CHECK(sa::response(crypto(), in) == plain);  // auth leaves the body out
}

// ---- server ---------------------------------------------------------------------------

TEST_CASE("digest server: MD5 alone by default, what every client we measured answers") {
  users u;
  sa::server_auth_config cfg;
  cfg.realm = "example.com";
  sa::digest_server srv(crypto(), u.lookup(), cfg);
  sm::message req;
  REQUIRE(!request().build(req));
  sa::verdict v = srv.verify(req, sa::auth_mode::www, t0);
  REQUIRE(v.challenges.size() == 1);
  sm::challenge c;
  REQUIRE(!sm::parse_challenge(v.challenges[0], c));
  CHECK(c.algorithm == digest_algorithm::md5);
  CHECK(c.qop_auth);
}

TEST_CASE("digest server: challenges, verification, staleness at exact instants") {
  users u;
  sa::digest_server srv(crypto(), u.lookup(), server_cfg());
  sm::message req;
  REQUIRE(!request().build(req));
  CHECK(srv.mode_for(req) == sa::auth_mode::www);
  sa::verdict v = srv.verify(req, sa::auth_mode::www, t0);
  REQUIRE(v.what == sa::verdict::kind::challenge);
  CHECK(v.status == 401);
  CHECK(v.header == "WWW-Authenticate");
  CHECK(!v.failed);
  REQUIRE(v.challenges.size() == 2);  // as configured: MD5 first, then SHA-256
  sm::message resp = answer(req, v);
  auto cs = sm::read_challenges(resp, sm::hdr::www_authenticate);
  REQUIRE(cs.size() == 2);
  CHECK(cs[0].algorithm == digest_algorithm::md5);
  CHECK(cs[1].algorithm == digest_algorithm::sha256);
  CHECK(cs[0].qop_auth);
  CHECK(!cs[0].qop_auth_int);

  int asked = 0;
  sa::digest_client cli(crypto(), [&](std::string_view realm, const sm::message&) -> std::optional<sa::secret> {
    ++asked;
    CHECK(realm == "example.com");
    return sa::secret{"joe", "s3cret w/ space", {}};
  });
  sa::digest_client::attempt a;
  auto lines = cli.on_challenge(req, resp, "udp:192.0.2.1:5060", a);
  REQUIRE(lines);
  CHECK(lines->find("algorithm=SHA-256") != std::string::npos);  // the strongest offered
  CHECK(lines->find("qop=auth,") != std::string::npos);
  CHECK(asked == 1);
  sm::message retry = parse(request("REGISTER", 2).text(), *lines);

  SECTION("accepted up to the lifetime, stale one second after") {
    sa::verdict ok = srv.verify(retry, sa::auth_mode::www, t0 + 300s);
    CHECK(ok.what == sa::verdict::kind::ok);
    CHECK(ok.user == "joe");
    sm::message again = parse(request("REGISTER", 3).text(), cli.ahead(req, "udp:192.0.2.1:5060", a));
    sa::verdict st = srv.verify(again, sa::auth_mode::www, t0 + 301s);
    CHECK(st.what == sa::verdict::kind::challenge);
    CHECK(!st.failed);
    REQUIRE(!st.challenges.empty());
    sm::challenge c;
    REQUIRE(!sm::parse_challenge(st.challenges[0], c));
    CHECK(c.stale);
  }
  SECTION("the same nc twice is a replay; another node with the same secret accepts it first") {
    sa::digest_server other(crypto(), u.lookup(), server_cfg());
    CHECK(other.verify(retry, sa::auth_mode::www, t0 + 1s).what == sa::verdict::kind::ok);
    CHECK(srv.verify(retry, sa::auth_mode::www, t0 + 1s).what == sa::verdict::kind::ok);
    sa::verdict rep = srv.verify(retry, sa::auth_mode::www, t0 + 2s);
    CHECK(rep.what == sa::verdict::kind::challenge);
    CHECK(rep.failed);
    CHECK(rep.why.find("replayed nc 00000001") != std::string::npos);
    // nc + 1 on the same nonce, as a refresh sends it up front, is fine.
    sm::message next = parse(request("REGISTER", 3).text(), cli.ahead(req, "udp:192.0.2.1:5060", a));
    CHECK(next.find(sm::hdr::authorization)->value.find("nc=00000002") != std::string_view::npos);
    CHECK(srv.verify(next, sa::auth_mode::www, t0 + 3s).what == sa::verdict::kind::ok);
  }
  SECTION("a node with another secret does not know the nonce") {
    auto cfg = server_cfg();
    cfg.secret = "another secret";
    sa::digest_server other(crypto(), u.lookup(), cfg);
    sa::verdict r = other.verify(retry, sa::auth_mode::www, t0 + 1s);
    CHECK(r.what == sa::verdict::kind::challenge);
    CHECK(r.failed);
    CHECK(r.why.find("unknown nonce") != std::string::npos);
  }
  SECTION("a nonce from too far in the future is not ours") {
    CHECK(srv.verify(retry, sa::auth_mode::www, t0 - 30s).what == sa::verdict::kind::ok);
    sa::digest_server fresh(crypto(), u.lookup(), server_cfg());
    CHECK(fresh.verify(retry, sa::auth_mode::www, t0 - 31s).why.find("unknown nonce") != std::string::npos);
  }
}

TEST_CASE("digest server: unknown user, wrong password, bad input, other realms") {
  users u;
  sa::digest_server srv(crypto(), u.lookup(), server_cfg());
  sm::message req;
  REQUIRE(!request().build(req));
  sm::message resp = answer(req, srv.verify(req, sa::auth_mode::www, t0));
  auto answer_as = [&](std::string user, std::string pw) { return client_answer(req, resp, user, pw); };
  sa::verdict nobody = srv.verify(answer_as("nobody", "x"), sa::auth_mode::www, t0);
  sa::verdict wrong = srv.verify(answer_as("joe", "wrong"), sa::auth_mode::www, t0);
  // The same answer either way: a prober cannot tell which users exist.
  CHECK(nobody.what == sa::verdict::kind::challenge);
  CHECK(wrong.what == sa::verdict::kind::challenge);
  CHECK(nobody.status == wrong.status);
  CHECK(nobody.challenges.size() == wrong.challenges.size());
  CHECK(nobody.failed);
  CHECK(wrong.failed);
  CHECK(nobody.why.find("unknown user nobody") != std::string::npos);
  CHECK(wrong.why.find("wrong password for joe") != std::string::npos);
  // A user whose file holds only a SHA-256 HA1 passes with SHA-256.
  CHECK(srv.verify(answer_as("ann", "annpw"), sa::auth_mode::www, t0).user == "ann");

  sa::verdict bad = srv.verify(parse(request("REGISTER", 2).text(), "Authorization: Digest username=\"joe\", realm=\r\n"),
                               sa::auth_mode::www, t0);
  CHECK(bad.what == sa::verdict::kind::bad_request);
  CHECK(bad.status == 400);
  CHECK(bad.reason == "Malformed Authorization header");
  sa::verdict other = srv.verify(
      parse(request("REGISTER", 2).text(),
            "Authorization: Digest username=\"joe\", realm=\"elsewhere\", nonce=\"x\", uri=\"sip:example.com\","
            " response=\"00\"\r\n"),
      sa::auth_mode::www, t0);
  CHECK(other.what == sa::verdict::kind::challenge);
  CHECK(!other.failed);  // not ours to judge: a fresh challenge for our realm
  // The Authorization of a 407 realm is not read for 401, and the other way round.
  sm::message proxied = answer_as("joe", "s3cret w/ space");
  CHECK(srv.verify(proxied, sa::auth_mode::proxy, t0).status == 407);
  // digest-uri must be the Request-URI.
  std::string text = std::string(proxied.raw());
  const std::string from = "uri=\"sip:example.com\"", to = "uri=\"sip:example.org\"";
  text.replace(text.find(from), from.size(), to);
  sa::verdict mismatch = srv.verify(parse(text), sa::auth_mode::www, t0);
  CHECK(mismatch.status == 400);
  CHECK(mismatch.reason == "Authorization uri does not match the Request-URI");
  // The same host with a port (as SIPp writes it) names the same resource; the
  // response is still checked over the uri as written (here: it was not signed so).
  text = std::string(proxied.raw());
  text.replace(text.find(from), from.size(), "uri=\"sip:example.com:5060\"");
  sa::verdict port = srv.verify(parse(text), sa::auth_mode::www, t0);
  CHECK(port.what == sa::verdict::kind::challenge);
  CHECK(port.why.find("wrong password") != std::string::npos);
}

TEST_CASE("digest server: memory stays bounded under floods") {
  users u;
  auto cfg = server_cfg();
  cfg.replay_slots = 64;
  sa::digest_server srv(crypto(), u.lookup(), cfg);
  // Bogus credentials never reach the table: their nonce fails the MAC.
  for (int i = 0; i < 20000; ++i) {
    sm::message m = parse(request("REGISTER", 2).text(),
                          "Authorization: Digest username=\"joe\", realm=\"example.com\", nonce=\"" +
                              std::string(64, "0123456789abcdef"[i % 16]) +
                              "\", uri=\"sip:example.com\", response=\"00\", qop=auth, cnonce=\"c\", nc=00000001\r\n");
    CHECK(srv.verify(m, sa::auth_mode::www, t0).what == sa::verdict::kind::challenge);
  }
  CHECK(srv.tracked_nonces() == 0);
  // Genuine nonces fill it up to its size, never past; an evicted nonce cannot be
  // proven unused, so its holder gets stale=true and a new one.
  sm::message req;
  REQUIRE(!request().build(req));
  std::vector<sm::message> first;
  for (int i = 0; i < 200; ++i) {
    sm::message resp = answer(req, srv.verify(req, sa::auth_mode::www, t0 + std::chrono::seconds(i)));
    sa::digest_client cli(crypto(), [](std::string_view, const sm::message&) -> std::optional<sa::secret> {
      return sa::secret{"joe", "s3cret w/ space", {}};
    });
    sa::digest_client::attempt a;
    auto lines = cli.on_challenge(req, resp, "t", a);
    REQUIRE(lines);
    sm::message signed_req = parse(request("REGISTER", 2).text(), *lines);
    REQUIRE(srv.verify(signed_req, sa::auth_mode::www, t0 + std::chrono::seconds(i)).what == sa::verdict::kind::ok);
    if (i == 0) first.push_back(signed_req);
    CHECK(srv.tracked_nonces() <= 64);
  }
  CHECK(srv.tracked_nonces() == 64);
  sa::verdict v = srv.verify(first[0], sa::auth_mode::www, t0 + 200s);
  CHECK(v.what == sa::verdict::kind::challenge);
  sm::challenge c;
  REQUIRE(!sm::parse_challenge(v.challenges[0], c));
  CHECK(c.stale);
}

// ---- client ---------------------------------------------------------------------------

TEST_CASE("digest client: stale retry once without the hook, refused credentials end it") {
  users u;
  sa::digest_server srv(crypto(), u.lookup(), server_cfg());
  sm::message req;
  REQUIRE(!request().build(req));
  int asked = 0;
  std::string password = "s3cret w/ space";
  sa::digest_client cli(crypto(), [&](std::string_view, const sm::message&) -> std::optional<sa::secret> {
    ++asked;
    return sa::secret{"joe", password, {}};
  });

  SECTION("stale=true: one retry with the new nonce, the hook not asked again") {
    sa::digest_client::attempt a;
    auto l1 = cli.on_challenge(req, answer(req, srv.verify(req, sa::auth_mode::www, t0)), "t", a);
    REQUIRE(l1);
    sm::message r1 = parse(request("REGISTER", 2).text(), *l1);
    sa::verdict st = srv.verify(r1, sa::auth_mode::www, t0 + 400s);  // expired by then
    REQUIRE(st.what == sa::verdict::kind::challenge);
    auto l2 = cli.on_challenge(r1, answer(r1, st), "t", a);
    REQUIRE(l2);
    CHECK(asked == 1);
    CHECK(a.stale_used);
    sm::message r2 = parse(request("REGISTER", 3).text(), *l2);
    CHECK(srv.verify(r2, sa::auth_mode::www, t0 + 400s).what == sa::verdict::kind::ok);
    // A third challenge for the same request is past the cap, stale or not.
    CHECK(!cli.on_challenge(r2, answer(r2, srv.verify(r2, sa::auth_mode::www, t0 + 900s)), "t", a));
  }
  SECTION("a wrong password: one answer, then the 401 goes to the application") {
    password = "wrong";
    sa::digest_client::attempt a;
    auto l1 = cli.on_challenge(req, answer(req, srv.verify(req, sa::auth_mode::www, t0)), "t", a);
    REQUIRE(l1);
    sm::message r1 = parse(request("REGISTER", 2).text(), *l1);
    sa::verdict v = srv.verify(r1, sa::auth_mode::www, t0);
    REQUIRE(v.failed);
    CHECK(!cli.on_challenge(r1, answer(r1, v), "t", a));
    CHECK(asked == 1);
  }
  SECTION("a server that answers stale=true forever gets two rounds, not a loop") {
    sa::digest_client::attempt a;
    auto fake_stale = [&](const sm::message& r) {
      sa::verdict v = srv.verify(req, sa::auth_mode::www, t0);  // a new challenge, whatever r says
      for (auto& c : v.challenges) c += ", stale=true";
      return answer(r, v);
    };
    auto l1 = cli.on_challenge(req, fake_stale(req), "t", a);
    REQUIRE(l1);
    sm::message r1 = parse(request("REGISTER", 2).text(), *l1);
    auto l2 = cli.on_challenge(r1, fake_stale(r1), "t", a);
    REQUIRE(l2);
    sm::message r2 = parse(request("REGISTER", 3).text(), *l2);
    CHECK(!cli.on_challenge(r2, fake_stale(r2), "t", a));
    CHECK(asked == 1);
  }
  SECTION("the hook declines") {
    sa::digest_client none(crypto(), [](std::string_view, const sm::message&) { return std::optional<sa::secret>{}; });
    sa::digest_client::attempt a;
    CHECK(!none.on_challenge(req, answer(req, srv.verify(req, sa::auth_mode::www, t0)), "t", a));
  }
}

TEST_CASE("digest client: refreshes answer up front - nextnonce - 407 - algorithm choice") {
  users u;
  sa::digest_server srv(crypto(), u.lookup(), server_cfg());
  sm::message req;
  REQUIRE(!request().build(req));
  int asked = 0;
  sa::digest_client cli(crypto(), [&](std::string_view, const sm::message&) -> std::optional<sa::secret> {
    ++asked;
    return sa::secret{"joe", "s3cret w/ space", {}};
  });
  sa::digest_client::attempt a;
  auto l1 = cli.on_challenge(req, answer(req, srv.verify(req, sa::auth_mode::www, t0)), "udp:1", a);
  REQUIRE(l1);
  REQUIRE(srv.verify(parse(request("REGISTER", 2).text(), *l1), sa::auth_mode::www, t0).what == sa::verdict::kind::ok);
  // Other targets know nothing yet.
  sa::digest_client::attempt other;
  CHECK(cli.ahead(req, "udp:2", other).empty());
  for (std::uint32_t i = 0; i < 5; ++i) {
    sa::digest_client::attempt b;
    std::string lines = cli.ahead(req, "udp:1", b);
    REQUIRE(!lines.empty());
    CHECK(lines.find("nc=" + sm::nc_hex(i + 2)) != std::string::npos);
    CHECK(srv.verify(parse(request("REGISTER", 3 + i).text(), lines), sa::auth_mode::www, t0 + 10s).what ==
          sa::verdict::kind::ok);
  }
  CHECK(asked == 1);

  // Authentication-Info nextnonce: the next answer uses it, nc from 1.
  const std::string next = srv.make_nonce(t0 + 20s);
  sm::message ok200 = parse("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK9\r\nFrom: <sip:a@b>;tag=1\r\n"
                            "To: <sip:a@b>;tag=2\r\nCall-ID: c\r\nCSeq: 9 REGISTER\r\nAuthentication-Info: nextnonce=\"" +
                            next + "\"\r\nContent-Length: 0\r\n\r\n");
  sa::digest_client::attempt c;
  (void)cli.ahead(req, "udp:1", c);
  cli.on_final(ok200, c);
  sa::digest_client::attempt d;
  std::string lines = cli.ahead(req, "udp:1", d);
  CHECK(lines.find(next) != std::string::npos);
  CHECK(lines.find("nc=00000001") != std::string::npos);
  CHECK(srv.verify(parse(request("REGISTER", 20).text(), lines), sa::auth_mode::www, t0 + 21s).what ==
        sa::verdict::kind::ok);

  // 407: Proxy-Authorization, read by the server in proxy mode only.
  sm::message msg;
  REQUIRE(!request("MESSAGE").build(msg));
  sa::verdict pv = srv.verify(msg, sa::auth_mode::proxy, t0);
  REQUIRE(pv.status == 407);
  sm::message p407 = answer(msg, pv);
  sa::digest_client::attempt e;
  auto pl = cli.on_challenge(msg, p407, "udp:1", e);
  REQUIRE(pl);
  CHECK(pl->rfind("Proxy-Authorization: ", 0) == 0);
  sm::message msg2 = parse(request("MESSAGE", 2).text(), *pl);
  CHECK(srv.verify(msg2, sa::auth_mode::proxy, t0).user == "joe");

  // auth-int only when it is all that is offered; unknown algorithms are skipped.
  auto cfg = server_cfg();
  cfg.offer_auth_int = true;
  cfg.algorithms = {digest_algorithm::sha512_256};
  sa::digest_server strong(crypto(), u.lookup(), cfg);
  sa::verdict sv = strong.verify(msg, sa::auth_mode::proxy, t0);
  sm::message s407 = answer(msg, sv);
  sa::digest_client::attempt f;
  auto sl = cli.on_challenge(msg, s407, "udp:3", f);
  REQUIRE(sl);
  CHECK(sl->find("algorithm=SHA-512-256") != std::string::npos);
  CHECK(sl->find("qop=auth,") != std::string::npos);
  CHECK(strong.verify(parse(request("MESSAGE", 2).text(), *sl), sa::auth_mode::proxy, t0).user == "joe");
  // A new nonce for each of the next two: a nonce's nc starts at 1 once only.
  s407 = answer(msg, strong.verify(msg, sa::auth_mode::proxy, t0 + 1s));
  std::string only_int = std::string(s407.raw());
  const std::string q = "qop=\"auth,auth-int\"";
  only_int.replace(only_int.find(q), q.size(), "qop=\"auth-int\", algorithm=SHA-999");
  sm::message oi;
  REQUIRE(!sm::parse_datagram(only_int, oi));
  // SHA-999 alone (its algorithm param now appears twice) does not parse: no usable challenge.
  sa::digest_client::attempt g;
  CHECK(!cli.on_challenge(msg, oi, "udp:4", g));
  s407 = answer(msg, strong.verify(msg, sa::auth_mode::proxy, t0 + 2s));
  only_int = std::string(s407.raw());
  only_int.replace(only_int.find(q), q.size(), "qop=\"auth-int\"");
  REQUIRE(!sm::parse_datagram(only_int, oi));
  sa::digest_client::attempt h;
  auto il = cli.on_challenge(msg, oi, "udp:5", h);
  REQUIRE(il);
  CHECK(il->find("qop=auth-int") != std::string::npos);
  CHECK(strong.verify(parse(request("MESSAGE", 2).text(), *il), sa::auth_mode::proxy, t0).user == "joe");
}

// ---- users file -----------------------------------------------------------------------

TEST_CASE("users file: passwords with spaces and colons, stored hashes, comments, faults by line") {
  const std::string md5 = sa::ha1(crypto(), digest_algorithm::md5, "ann", "example.com", "annpw");
  const std::string sha = sa::ha1(crypto(), digest_algorithm::sha256, "ann", "example.com", "annpw");
  sa::user_table t;
  auto err = sa::parse_users("# users of example.com\r\n\njoe:a pass: with colons \r\n  # indented comment\n"
                             "ann:MD5:" + md5 + "\nann:SHA-256:" + sha + "\nbob:x",
                             t);
  REQUIRE(!err);
  REQUIRE(t.size() == 3);
  CHECK(t["joe"].password == "a pass: with colons ");
  CHECK(t["bob"].password == "x");
  REQUIRE(t["ann"].ha1.size() == 2);
  CHECK(t["ann"].password.empty());
  CHECK(t["ann"].ha1_for(crypto(), digest_algorithm::sha256, "example.com") == sha);
  CHECK(t["ann"].ha1_for(crypto(), digest_algorithm::md5_sess, "example.com") == md5);
  CHECK(t["ann"].ha1_for(crypto(), digest_algorithm::sha512_256, "example.com").empty());
  struct bad {
    const char* text;
    std::size_t line;
    const char* what;
  };
  for (auto [text, line, what] :
       {bad{"joe:pw\nno colon here\n", 2, "no ':'"}, bad{"\n\n:pw", 3, "empty user"}, bad{"joe:", 1, "empty password"},
        bad{"joe:a\njoe:b", 2, "second password"}, bad{"jo e:x", 1, "no spaces"},
        bad{"joe:SHA-256:abcd", 1, "is not 64 hex digits"}}) {
    INFO(text);
    sa::user_table u;
    auto e = sa::parse_users(text, u);
    CHECK(e.line == line);
    CHECK(e.what.find(what) != std::string::npos);
  }
}

TEST_CASE("users file: prepare_ha1 hashes password users once per algorithm and realm, verification still passes") {
  sa::user_table t;
  REQUIRE(!sa::parse_users("joe:joepw\nann:MD5:" + sa::ha1(crypto(), digest_algorithm::md5, "ann", "example.com", "annpw"), t));
  sa::prepare_ha1(t, crypto(), "example.com",
                  {digest_algorithm::sha256, digest_algorithm::md5, digest_algorithm::md5_sess});
  REQUIRE(t["joe"].ha1.size() == 2);  // md5-sess shares MD5's HA1
  CHECK(t["joe"].ha1_for(crypto(), digest_algorithm::sha256, "example.com") ==
        sa::ha1(crypto(), digest_algorithm::sha256, "joe", "example.com", "joepw"));
  CHECK(t["joe"].ha1_for(crypto(), digest_algorithm::md5_sess, "example.com") ==
        sa::ha1(crypto(), digest_algorithm::md5, "joe", "example.com", "joepw"));
  REQUIRE(t["ann"].ha1.size() == 1);  // a stored hash, no password: nothing to add
  // A server on the prepared table takes the password's answer, and only that.
  auto cfg = server_cfg();
  cfg.algorithms = {digest_algorithm::sha256, digest_algorithm::md5};
  sa::digest_server srv(crypto(), [&t](std::string_view u) -> const sa::secret* {
    auto it = t.find(u);
    return it == t.end() ? nullptr : &it->second;
  }, cfg);
  sm::message req;
  REQUIRE(!request().build(req));
  sm::message resp = answer(req, srv.verify(req, sa::auth_mode::www, t0));
  auto answer_as = [&](std::string user, std::string pw) { return client_answer(req, resp, user, pw); };
  CHECK(srv.verify(answer_as("joe", "joepw"), sa::auth_mode::www, t0).user == "joe");
  CHECK(srv.verify(answer_as("joe", "wrong"), sa::auth_mode::www, t0).why.find("wrong password for joe") != std::string::npos);
}

TEST_CASE("crypto_openssl: HMAC-SHA-256 meets RFC 4231 whichever key came before - random bytes never repeat across fork") {
  auto& c = sipevents::crypto::default_crypto();
  auto hmac = [&](std::string_view key, std::string_view data) {
    std::array<std::uint8_t, 32> out{};
    c.hmac_sha256(key, data, out);
    return sipevents::auth::to_hex(out);
  };
  const std::string k1(20, '\x0b'), k2 = "Jefe";
  const std::string t1 = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";  // RFC 4231 4.2
  const std::string t2 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";  // RFC 4231 4.3
  // The adapter keeps a keyed context per thread: same key, another key, back again.
  CHECK(hmac(k1, "Hi There") == t1);
  CHECK(hmac(k1, "Hi There") == t1);
  CHECK(hmac(k2, "what do ya want for nothing?") == t2);
  CHECK(hmac(k1, "Hi There") == t1);
  CHECK(hmac(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");  // RFC 4231 4.7

  std::array<std::uint8_t, 16> a{}, b{};
  c.random(a);
  c.random(b);
  CHECK(a != b);
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::array<std::uint8_t, 16> child{};
    c.random(child);
    (void)!::write(fds[1], child.data(), child.size());
    ::_exit(0);
  }
  std::array<std::uint8_t, 16> parent{}, child{};
  c.random(parent);
  REQUIRE(::read(fds[0], child.data(), child.size()) == 16);
  ::waitpid(pid, nullptr, 0);
  ::close(fds[0]);
  ::close(fds[1]);
  CHECK(parent != child);
}
