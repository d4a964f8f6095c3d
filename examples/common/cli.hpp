// The tools' command lines, on CLI11: --help and --version in every tool, typed
// values checked against their ranges, and a bad command line refused with one line
// on stderr ("sipevents-x: --min-expires: abc is not a number") and exit status 2.
#pragma once
#include <CLI/CLI.hpp>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>
#include <type_traits>

#include "sipevents/message/uri.hpp"
#include "sipevents/transaction/transaction_types.hpp"
#include "sipevents/version.hpp"

namespace tools {

/// One tool's command line. Options are added to app(); parse() then either lets the
/// tool go on or gives the exit status.
class cli {
 public:
  cli(std::string tool, std::string description) : tool_(std::move(tool)), app_(std::move(description), tool_) {
    app_.set_version_flag("--version", tool_ + " " + SIPEVENTS_VERSION_STRING, "Print the tool's name and the library version, and exit");
    app_.get_formatter()->column_width(36);
  }
  CLI::App& app() { return app_; }
  CLI::App* operator->() { return &app_; }
  const std::string& tool() const { return tool_; }

  /// -1 when the tool goes on; else its exit status: 0 after --help or --version,
  /// 2 after a bad command line (the reason on stderr, one line).
  int parse(int argc, char** argv) {
    // A repeatable option takes one value each time it is given, so that
    // "--accept A --accept B TARGET-URI" leaves TARGET-URI to the positional.
    for (CLI::Option* o : app_.get_options())
      if (o->get_expected_max() > 1 && !o->get_positional()) o->allow_extra_args(false);
    try {
      app_.parse(argc, argv);
      return -1;
    } catch (const CLI::Success& e) {
      return app_.exit(e);
    } catch (const CLI::ParseError& e) {
      return refuse(reason(e));
    }
  }

  /// Refuses the command line for `why` after parsing (a combination CLI11 cannot
  /// express): "tool: why" on stderr; returns 2, the status to exit with.
  int refuse(const std::string& why) const {
    std::fprintf(stderr, "%s: %s (see --help)\n", tool_.c_str(), why.c_str());
    return 2;
  }

 private:
  static std::string reason(const CLI::ParseError& e) {
    std::string s = e.what();
    for (char& c : s)
      if (c == '\n') c = ' ';
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
  }

  std::string tool_;
  CLI::App app_;
};

namespace detail {
template <class T>
std::string show(T v) {
  std::ostringstream o;
  o << v;
  return o.str();
}
}  // namespace detail

/// A number of type T within [lo, hi]: "abc" is "not a number", "0" for [1, ...] is
/// "outside 1..N". (CLI11's own Range converts first and names neither.)
template <class T>
CLI::Validator within(T lo, T hi = std::numeric_limits<T>::max()) {
  static_assert(std::is_arithmetic_v<T>);
  const std::string span = detail::show(lo) + ".." + (hi == std::numeric_limits<T>::max() ? std::string() : detail::show(hi));
  return CLI::Validator(
      [lo, hi, span](std::string& s) -> std::string {
        bool ok = false;
        bool inside = false;
        if constexpr (std::is_integral_v<T>) {
          long long v = 0;
          const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
          ok = r.ec == std::errc() && r.ptr == s.data() + s.size();
          inside = ok && v >= static_cast<long long>(lo) &&
                   (hi >= static_cast<T>(std::numeric_limits<long long>::max()) || v <= static_cast<long long>(hi));
        } else {
          char* end = nullptr;
          const double v = s.empty() ? 0 : std::strtod(s.c_str(), &end);
          ok = !s.empty() && end == s.c_str() + s.size() && v == v;
          inside = ok && v >= lo && v <= hi;
        }
        if (!ok) return s + " is not a number";
        if (!inside) return s + (span.back() == '.' ? " is below " + span.substr(0, span.size() - 2) : " is outside " + span);
        return {};
      },
      span);
}

/// A transport address as the tools write it: udp|tcp|tls|ws|wss:HOST:PORT.
inline CLI::Validator transport_address() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        sipevents::transaction::peer p;
        if (!sipevents::transaction::parse_peer(s, p)) return s + " is not TRANSPORT:HOST:PORT";
        return {};
      },
      "TRANSPORT:HOST:PORT");
}

/// HOST:PORT (an IPv6 host in brackets), as --dns takes it.
inline CLI::Validator host_port() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        sipevents::transaction::peer p;
        if (!sipevents::transaction::parse_peer("udp:" + s, p)) return s + " is not HOST:PORT";
        return {};
      },
      "HOST:PORT");
}

/// A URI the codec reads (sip:, sips:, tel: or another scheme's absolute URI).
inline CLI::Validator sip_uri() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        sipevents::message::uri u;
        if (sipevents::message::parse_uri(s, u)) return s + " is not a URI";
        return {};
      },
      "URI");
}

}  // namespace tools
