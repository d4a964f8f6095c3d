// RFC 3263 server location: the queries the locator asks and the order of the targets
// it gives, for each path of section 4 (numeric host, explicit port, transport
// parameter, NAPTR, SRV with priorities and weights, the A/AAAA fallback), by a
// scripted resolver.
#include <catch2/catch.hpp>

#include <map>

#include "sipevents/locate/server_locator.hpp"

namespace lc = sipevents::locate;
using sipevents::transaction::peer;
using sipevents::transaction::transport_kind;

namespace {

/// A DNS zone: answers by (type, name); anything else is NXDOMAIN.
struct zone {
  std::map<std::pair<lc::rr_type, std::string>, lc::answer> records;
  std::vector<std::string> asked;

  void naptr(const std::string& name, std::vector<lc::naptr_record> r) { records[{lc::rr_type::naptr, name}].naptr = r; }
  void srv(const std::string& name, std::vector<lc::srv_record> r) { records[{lc::rr_type::srv, name}].srv = r; }
  void a(const std::string& name, std::vector<std::string> r) { records[{lc::rr_type::a, name}].addresses = r; }
  void aaaa(const std::string& name, std::vector<std::string> r) { records[{lc::rr_type::aaaa, name}].addresses = r; }

  /// Runs the locator to the end, answering in the order asked.
  void run(lc::server_locator& l) {
    lc::query q;
    for (int guard = 0; guard < 100 && l.ask(q); ++guard) {
      asked.push_back(std::string(lc::to_string(q.type)) + " " + q.name);
      auto it = records.find({q.type, q.name});
      l.give(q.id, it == records.end() ? lc::answer{} : it->second);
    }
    REQUIRE(l.done());
  }
};

std::vector<std::string> show(const std::vector<peer>& t) {
  std::vector<std::string> out;
  for (const auto& p : t) out.push_back(sipevents::transaction::to_string(p));
  return out;
}

}  // namespace

TEST_CASE("locate: a numeric host is used as it is, with the URI's port and transport or their defaults") {
  lc::server_locator a("sip:bob@192.0.2.1");
  REQUIRE(a.done());
  CHECK(show(a.targets()) == std::vector<std::string>{"udp:192.0.2.1:5060"});
  lc::server_locator b("sips:bob@192.0.2.1");
  CHECK(show(b.targets()) == std::vector<std::string>{"tls:192.0.2.1:5061"});
  lc::server_locator c("sip:bob@[2001:db8::1]:5070;transport=tcp");
  CHECK(show(c.targets()) == std::vector<std::string>{"tcp:[2001:db8::1]:5070"});
  lc::query q;
  CHECK_FALSE(c.ask(q));
}

TEST_CASE("locate: a name with an explicit port skips NAPTR and SRV: its addresses, A before AAAA") {
  zone z;
  z.a("example.com", {"192.0.2.10", "192.0.2.11"});
  z.aaaa("example.com", {"2001:db8::10"});
  lc::server_locator l("sip:bob@example.com:5080");
  z.run(l);
  CHECK(z.asked == std::vector<std::string>{"A example.com", "AAAA example.com"});
  CHECK(show(l.targets()) ==
        std::vector<std::string>{"udp:192.0.2.10:5080", "udp:192.0.2.11:5080", "udp:[2001:db8::10]:5080"});
  CHECK(l.targets()[0].name == "example.com");  // what TLS would verify
}

TEST_CASE("locate: NAPTR picks the transports in order and preference, SRV the servers by priority") {
  zone z;
  z.naptr("example.com", {{90, 50, "s", "SIP+D2U", "_sip._udp.example.com"},
                          {50, 50, "s", "SIP+D2T", "_sip._tcp.example.com"},
                          {50, 10, "s", "SIPS+D2T", "_sips._tcp.example.com"},
                          {40, 10, "s", "SIP+D2X", "_sip._x.example.com"},      // unknown service
                          {30, 10, "u", "SIP+D2U", "!^.*$!sip:x@example.com!"}}); // not an "s" record
  z.srv("_sips._tcp.example.com", {{10, 0, 5061, "tls.example.com."}});
  z.srv("_sip._tcp.example.com", {{20, 0, 5060, "b.example.com"}, {10, 0, 5060, "a.example.com"}});
  z.srv("_sip._udp.example.com", {{10, 0, 5060, "a.example.com"}});
  z.a("tls.example.com", {"192.0.2.5"});
  z.a("a.example.com", {"192.0.2.1"});
  z.a("b.example.com", {"192.0.2.2"});
  lc::server_locator l("sip:bob@example.com");
  z.run(l);
  CHECK(z.asked.front() == "NAPTR example.com");
  CHECK(show(l.targets()) == std::vector<std::string>{"tls:192.0.2.5:5061", "tcp:192.0.2.1:5060", "tcp:192.0.2.2:5060",
                                                      "udp:192.0.2.1:5060"});
  // A stack without TLS skips the SIPS service.
  lc::locator_config no_tls;
  no_tls.transports = {transport_kind::udp, transport_kind::tcp};
  zone z2 = z;
  lc::server_locator l2("sip:bob@example.com", no_tls);
  z2.run(l2);
  CHECK(show(l2.targets()).front() == "tcp:192.0.2.1:5060");
}

TEST_CASE("locate: a sips: URI takes SIPS services only, and TLS") {
  zone z;
  z.naptr("example.com", {{10, 10, "s", "SIP+D2U", "_sip._udp.example.com"}});
  z.srv("_sip._udp.example.com", {{10, 0, 5060, "a.example.com"}});
  z.a("example.com", {"192.0.2.9"});
  lc::server_locator l("sips:bob@example.com");
  z.run(l);
  // No SIPS NAPTR: SRV for TLS alone, none: the host's address, TLS on 5061.
  CHECK(z.asked == std::vector<std::string>{"NAPTR example.com", "SRV _sips._tcp.example.com", "A example.com",
                                            "AAAA example.com"});
  CHECK(show(l.targets()) == std::vector<std::string>{"tls:192.0.2.9:5061"});
  lc::server_locator bad("sips:bob@example.com;transport=udp");
  CHECK(bad.done());
  CHECK(bad.error() == lc::locate_error::no_transport);
}

TEST_CASE("locate: without NAPTR an SRV query per transport - without SRV the host on the default port") {
  zone z;
  z.srv("_sip._tcp.example.com", {{10, 0, 5070, "sip.example.com"}});
  z.a("sip.example.com", {"192.0.2.3"});
  lc::server_locator l("sip:bob@example.com");
  z.run(l);
  CHECK(z.asked == std::vector<std::string>{"NAPTR example.com", "SRV _sip._udp.example.com", "SRV _sip._tcp.example.com",
                                            "SRV _sips._tcp.example.com", "A sip.example.com", "AAAA sip.example.com"});
  CHECK(show(l.targets()) == std::vector<std::string>{"tcp:192.0.2.3:5070"});

  zone bare;
  bare.a("example.org", {"192.0.2.4"});
  lc::server_locator h("sip:bob@example.org");
  bare.run(h);
  CHECK(show(h.targets()) == std::vector<std::string>{"udp:192.0.2.4:5060"});
}

TEST_CASE("locate: a transport parameter asks its SRV only - a name that resolves to nothing is an error") {
  zone z;
  z.srv("_sip._tcp.example.com", {{10, 0, 5060, "."}});  // "." : no service here
  z.a("example.com", {"192.0.2.7"});
  lc::server_locator l("sip:bob@example.com;transport=TCP");
  z.run(l);
  CHECK(z.asked == std::vector<std::string>{"SRV _sip._tcp.example.com", "A example.com", "AAAA example.com"});
  CHECK(show(l.targets()) == std::vector<std::string>{"tcp:192.0.2.7:5060"});

  zone none;
  lc::server_locator n("sip:bob@nowhere.invalid");
  none.run(n);
  CHECK(n.targets().empty());
  CHECK(n.error() == lc::locate_error::not_found);
  CHECK(lc::to_string(n.error()) == "the name resolves to no address");
  CHECK(lc::server_locator("tel:+15551234").error() == lc::locate_error::bad_uri);
}

TEST_CASE("locate: equal-priority SRV records are ordered by weight (RFC 2782), zero weights first") {
  auto order = [](std::uint32_t pick) {
    zone z;
    z.srv("_sip._udp.example.com", {{10, 60, 5060, "a.example.com"}, {10, 40, 5060, "b.example.com"},
                                    {10, 0, 5060, "c.example.com"}, {5, 0, 5060, "first.example.com"}});
    for (auto h : {"a", "b", "c", "first"}) z.a(std::string(h) + ".example.com", {std::string("192.0.2.") + (h[0] == 'f' ? "99" : std::to_string(h[0] - 'a' + 1))});
    lc::locator_config cfg;
    cfg.ipv6 = false;
    lc::server_locator l("sip:bob@example.com;transport=udp", cfg, [pick](std::uint32_t n) { return std::min(pick, n); });
    z.run(l);
    return show(l.targets());
  };
  // Running sums 0 (c), 60 (a), 100 (b): a pick of 0 takes c, then a; 61 takes b first.
  CHECK(order(0) == std::vector<std::string>{"udp:192.0.2.99:5060", "udp:192.0.2.3:5060", "udp:192.0.2.1:5060",
                                             "udp:192.0.2.2:5060"});
  CHECK(order(61) == std::vector<std::string>{"udp:192.0.2.99:5060", "udp:192.0.2.2:5060", "udp:192.0.2.1:5060",
                                              "udp:192.0.2.3:5060"});
}
