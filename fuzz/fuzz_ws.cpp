// WebSocket codec: the input is an upgrade request and then frames, read by a server
// decoder with small limits. Split at an input-chosen offset, it must yield the same
// events and verdict as an unsplit feed, and never hold more than its limits allow.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "sipevents/ws/ws_codec.hpp"

namespace ws = sipevents::ws;

namespace {
ws::ws_limits limits() {
  ws::ws_limits l;
  l.max_handshake = 1024;
  l.max_frame = 2048;
  l.max_message = 4096;
  return l;
}

std::vector<std::string> decode(std::string_view a, std::string_view b) {
  std::vector<std::string> out;
  ws::frame_decoder d(ws::role::server, limits());
  bool failed = false;  // a fault is final: reported once, however the bytes came
  auto drain = [&] {
    ws::event e;
    while (!failed) {
      std::error_code ec = d.next(e);
      if (ec == ws::errc::need_more) break;
      if (ec) {
        out.push_back("fault " + ec.message());
        failed = true;
        return;
      }
      out.push_back(std::to_string(static_cast<int>(e.what)) + ":" + std::to_string(e.close_code) + ":" + e.payload +
                    e.close_reason);
      if (!ws::valid_utf8(e.close_reason)) std::abort();
    }
    // Held bytes: at most one frame (header and payload) plus the message being built.
    if (d.buffered() > 14 + 2048 + 4096 + b.size() + a.size()) std::abort();
  };
  d.feed(a);
  drain();
  d.feed(b);
  drain();
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  ws::upgrade_request req;
  ws::upgrade_result up = ws::parse_upgrade(in, req, limits());
  if (!up.ec) {
    if (up.consumed > in.size() || up.consumed > 1024) std::abort();
    (void)ws::accept_response("x");
  } else {
    (void)ws::reject_response(up.ec);
  }
  (void)ws::parse_accept(in, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", limits());
  std::string_view frames = up.ec ? in : in.substr(up.consumed);
  std::size_t cut = (std::size_t(data[0]) << 8 | data[1]) % (frames.size() + 1);
  auto whole = decode(frames, {});
  auto split = decode(frames.substr(0, cut), frames.substr(cut));
  if (whole != split) std::abort();
  return 0;
}
