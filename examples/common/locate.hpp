// --dns HOST:PORT in the client tools: where a request for `uri` goes by RFC 3263
// (NAPTR, SRV, A/AAAA asked of that server), resolved before the tool starts.
#pragma once
#include <string>
#include <vector>

#include "sipevents/locate_cares/cares_resolver.hpp"

namespace tools {

/// The targets for `uri` in the order to try them; empty with `error` set when there
/// are none (bad --dns, or the name resolves to nothing).
inline std::vector<sipevents::transaction::peer> locate(const std::string& dns, const std::string& uri,
                                                        std::string& error) {
  asio::io_context io;
  sipevents::locate_cares::cares_resolver res(io, {.servers = dns});
  if (auto ec = res.init()) {
    error = "bad --dns " + dns + ": " + ec.message();
    return {};
  }
  std::vector<sipevents::transaction::peer> out;
  sipevents::locate::locate_error le = sipevents::locate::locate_error::none;
  res.locate(uri, {}, [&](sipevents::locate::locate_error e, std::vector<sipevents::transaction::peer> t) {
    le = e;
    out = std::move(t);
  });
  io.run();
  if (out.empty()) error = "cannot locate " + uri + ": " + std::string(sipevents::locate::to_string(le));
  return out;
}

}  // namespace tools
