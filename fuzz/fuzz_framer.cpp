// Stream framer: any input, split at an input-chosen offset, never crashes and frames
// the same messages as an unsplit feed.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "sipevents/message/framer.hpp"

namespace sm = sipevents::message;

namespace {
std::vector<std::string> frame(std::string_view a, std::string_view b) {
  sm::parse_limits lim;
  lim.max_header_block = 4096;
  lim.max_body = 4096;
  sm::stream_framer f(lim);
  std::vector<std::string> out;
  sm::message m;
  auto drain = [&] {
    for (int i = 0; i < 64; ++i) {
      sm::codec_error e = f.next(m);
      if (e.code == sm::errc::need_more || f.fatal()) return;
      out.push_back(e ? "error" : m.serialize());
    }
  };
  f.feed(a);
  drain();
  f.feed(b);
  drain();
  if (f.fatal()) out.push_back("fatal");
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  std::size_t cut = (std::size_t(data[0]) << 8 | data[1]) % (in.size() + 1);
  auto whole = frame(in, {});
  auto split = frame(in.substr(0, cut), in.substr(cut));
  // A fatal error may be detected at a different point, but never different messages.
  std::size_t n = std::min(whole.size(), split.size());
  for (std::size_t i = 0; i < n; ++i)
    if (whole[i] != split[i] && whole[i] != "fatal" && split[i] != "fatal") std::abort();
  return 0;
}
