// Small helpers the example tools share.
#pragma once
#include <string>

#include "sipevents/transport/runtime.hpp"

namespace tools {

/// The local address the kernel would use to reach `host`, so Via and Contact name an
/// address the peer can answer.
inline std::string local_address_for(const std::string& host) {
  asio::io_context io;
  asio::ip::address a;
  if (!sipevents::transport::to_address(host, a)) return "127.0.0.1";
  asio::ip::udp::socket s(io);
  std::error_code ec;
  s.connect(asio::ip::udp::endpoint(a, 9), ec);
  if (ec) return a.is_v6() ? "::1" : "127.0.0.1";
  return s.local_endpoint().address().to_string();
}

/// An IPv6 literal in brackets, anything else as is.
inline std::string bracket(const std::string& h) { return h.find(':') != std::string::npos ? "[" + h + "]" : h; }

}  // namespace tools
