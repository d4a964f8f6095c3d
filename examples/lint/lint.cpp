// sipevents-lint: what a UAS endpoint would answer to each file, read as one datagram.
//
//   sipevents-lint [--json] FILE...
//
// Prints "FILE: accept", "FILE: <code> <reason>" or "FILE: drop <why>" per file
// (with --json, one JSON object per file). Exits 0 only when every file is accepted.
#include <fmt/core.h>

#include <cstdio>
#include <exception>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "json.hpp"
#include "sipevents/message/check.hpp"
#include "sipevents/message/message.hpp"
#include "../common/cli.hpp"

namespace sm = sipevents::message;

namespace {

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

std::string verdict_text(const sm::verdict& v) {
  switch (v.what) {
    case sm::verdict::action::accept: return "accept";
    case sm::verdict::action::respond: return fmt::format("{} {}", v.status, v.reason);
    case sm::verdict::action::drop: break;
  }
  return "drop " + v.reason;
}

}  // namespace

int main(int argc, char** argv) try {
  bool json = false;
  std::vector<std::string> files;
  tools::cli cli("sipevents-lint", "What a UAS endpoint would answer to each file, read as one datagram.");
  cli->add_flag("--json", json, "One JSON object per file: the verdict and the parsed message");
  cli->add_option("FILE", files, "SIP messages, one per file")->required();
  if (int rc = cli.parse(argc, argv); rc >= 0) return rc;

  const sm::endpoint_profile profile;
  sm::message msg;
  std::string bytes;
  bool all_accepted = true;
  for (const auto& f : files) {
    sm::verdict v;
    bool parsed = false;
    if (!read_file(f, bytes)) {
      v.what = sm::verdict::action::drop;
      v.reason = "cannot read file";
    } else {
      sm::codec_error e = sm::parse_datagram(bytes, msg);
      v = sm::check(msg, e, profile);
      parsed = e.code != sm::errc::empty_message && (msg.is_response() || !msg.method_text().empty());
    }
    all_accepted = all_accepted && v.accepted();
    if (!json) {
      fmt::print("{}: {}\n", f, verdict_text(v));
      continue;
    }
    tools::json line = {{"file", f}, {"verdict", verdict_text(v)}};
    if (parsed) line["message"] = lint::message_json(msg);
    const std::string text = tools::json_line(line);
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  return all_accepted ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "sipevents-lint: %s\n", e.what());
  return 2;
}
