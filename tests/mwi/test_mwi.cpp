// The message-summary package (RFC 3842): the body codec on the RFC's own examples,
// its limits and faults, and the notifier package fed by the application and PUBLISH.
#include <catch2/catch.hpp>


#include "../events/events_support.hpp"
#include "sipevents/mwi/mwi_package.hpp"

using namespace evtest;
namespace mw = sipevents::mwi;

namespace {
std::string example(const std::string& name) { return shared_example(name); }

mw::message_summary parse(std::string_view text) {
  mw::message_summary s;
  std::string err;
  const bool ok = mw::decode(text, s, &err);
  INFO(err);
  REQUIRE(ok);
  return s;
}
}  // namespace

TEST_CASE("message-summary: the RFC 3842 examples decode, and what is encoded decodes the same") {
  for (const char* name : {"3842-a3-body-message-summary.txt", "3842-a5-body-message-summary.txt",
                           "3842-a9-body-message-summary.txt", "3842-a13-body-message-summary.txt"}) {
    INFO(name);
    auto s = parse(example(name));
    CHECK(s.waiting);
    CHECK(s.account == "sip:alice@vmail.example.com");
    REQUIRE(s.counts.size() == 1);
    CHECK(s.counts[0].context == "Voice-Message");
    CHECK(mw::known_context(s.counts[0].context));
    CHECK(parse(mw::encode(s)) == s);
  }
  auto a5 = parse(example("3842-a5-body-message-summary.txt"));
  CHECK(a5.counts[0].new_msgs == 4);
  CHECK(a5.counts[0].old_msgs == 8);
  CHECK(a5.counts[0].new_urgent == 1u);
  CHECK(a5.counts[0].old_urgent == 2u);
  REQUIRE(a5.messages.size() == 2);
  CHECK(a5.messages[0].at(2) == std::pair<std::string, std::string>{"Subject", "carpool tomorrow?"});
  CHECK(a5.messages[1].at(4) == std::pair<std::string, std::string>{"Priority", "urgent"});
  auto a3 = parse(example("3842-a3-body-message-summary.txt"));
  CHECK(a3.counts[0].new_msgs == 2);
  CHECK(a3.messages.empty());
}

TEST_CASE("message-summary: headers are case-insensitive, LF line ends and no urgent counts are fine") {
  auto s = parse("messages-waiting: NO\nfax-message: 0/3\n");
  CHECK_FALSE(s.waiting);
  CHECK(s.account.empty());
  CHECK(s.counts.at(0).old_msgs == 3);
  CHECK_FALSE(s.counts.at(0).new_urgent);
  CHECK(mw::encode(s) == "Messages-Waiting: no\r\nfax-message: 0/3\r\n");
}

TEST_CASE("message-summary: faults are refused with the reason, limits hold") {
  auto refused = [](std::string_view text, std::string_view why, mw::summary_limits l = {}) {
    mw::message_summary s;
    std::string err;
    CHECK_FALSE(mw::decode(text, s, &err, l));
    CHECK(err.find(why) != std::string::npos);
  };
  refused("", "without Messages-Waiting");
  refused("Voice-Message: 1/2\r\n", "start with Messages-Waiting");
  refused("Messages-Waiting: maybe\r\n", "neither yes nor no");
  refused("Messages-Waiting: yes\r\nVoice-Message: 1\r\n", "not N/M");
  refused("Messages-Waiting: yes\r\nVoice-Message: 1/2 (3)\r\n", "not N/M");
  refused("Messages-Waiting: yes\r\nVoice-Message: 1/2 (3/4) x\r\n", "not N/M");
  refused("Messages-Waiting: yes\r\nVoice-Message: 1234567890/2\r\n", "not N/M");
  refused("Messages-Waiting: yes\r\nno colon here\r\n", "not a header");
  refused("Messages-Waiting: yes\r\nMessage-Account:\r\n", "empty Message-Account");
  std::string big = "Messages-Waiting: yes\r\n";
  for (int i = 0; i < 20; ++i) big += "Voice-Message: 1/2\r\n";
  refused(big, "lines", {64 * 1024, 10});
  refused(big, "larger", {100, 1024});
}

namespace {
sm::message publish_summary(const std::string& body) {
  return publish_of("message-summary", "application/simple-message-summary", body, "pub-mwi");
}
}  // namespace

TEST_CASE("mwi package: no report says no - PUBLISH and the application's report say what they say") {
  tokens ids;
  ev::publication_server esc(ids.source());
  mw::mwi_package pkg(&esc);
  esc.add_package(pkg, pkg.config().publications);
  ev::watcher_view w{1, "sip:alice@example.com", "sip:alice@example.com", "", mw::message_summary_type, true, t0, {}};
  CHECK(pkg.state(w)->text == "Messages-Waiting: no\r\n");

  auto ok = build(esc.on_publish(publish_summary(example("3842-a3-body-message-summary.txt")), t0));
  CHECK(ok.status() == 200);
  ev::publication_change c;
  REQUIRE(esc.poll(c));
  CHECK(pkg.apply(c));
  CHECK(parse(pkg.state(w)->text).counts.at(0).new_msgs == 2);

  mw::message_summary mine;
  mine.waiting = true;
  mine.counts.push_back({"Voice-Message", 9, 0, {}, {}});
  CHECK(pkg.set("sip:alice@example.com", mine));
  CHECK_FALSE(pkg.set("sip:alice@example.com", mine));  // no change, no NOTIFY
  CHECK(parse(pkg.state(w)->text).counts.at(0).new_msgs == 9);
  CHECK(pkg.clear("sip:alice@example.com"));
  CHECK(parse(pkg.state(w)->text).counts.at(0).new_msgs == 2);

  auto bad = build(esc.on_publish(publish_summary("Messages-Waiting: perhaps\r\n"), t0));
  CHECK(bad.status() == 400);
  CHECK(std::string(bad.reason()).find("neither yes nor no") != std::string::npos);
}
