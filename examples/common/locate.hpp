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

/// --dns in the tools that send through the event agent: the first target located
/// for `uri` becomes the agent's `outbound`, the others its `fallbacks` (RFC 3263 4.3).
/// False (with `error`) when there are none.
inline bool locate_outbound(const std::string& dns, const std::string& uri, sipevents::transaction::peer& first,
                            std::vector<sipevents::transaction::peer>& rest, std::string& error) {
  auto targets = locate(dns, uri, error);
  if (targets.empty()) return false;
  first = targets.front();
  rest.assign(targets.begin() + 1, targets.end());
  return true;
}

}  // namespace tools
