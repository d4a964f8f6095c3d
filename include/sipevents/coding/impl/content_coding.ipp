#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/coding/content_coding.hpp"

#include <zlib.h>

namespace sipevents::coding {

SIPEVENTS_INLINE bool known_encoding(std::string_view c) noexcept {
  auto is = [c](std::string_view w) {
    if (c.size() != w.size()) return false;
    for (std::size_t i = 0; i < c.size(); ++i)
      if ((c[i] | 0x20) != w[i]) return false;
    return true;
  };
  return is("deflate") || is("gzip") || is("identity");
}

SIPEVENTS_INLINE bool inflate_body(std::string_view in, std::size_t limit, std::string& out) {
  for (int bits : {15 + 32, -15}) {  // zlib or gzip by their headers, then raw deflate
    z_stream z{};
    if (inflateInit2(&z, bits) != Z_OK) return false;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    out.clear();
    int rc = Z_OK;
    char buf[16384];
    while (rc == Z_OK) {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      rc = inflate(&z, Z_NO_FLUSH);
      out.append(buf, sizeof buf - z.avail_out);
      if (out.size() > limit) rc = Z_MEM_ERROR;
      if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) rc = Z_BUF_ERROR;  // truncated
    }
    inflateEnd(&z);
    if (rc == Z_STREAM_END) return true;
  }
  return false;
}

SIPEVENTS_INLINE std::string deflate_body(std::string_view in) {
  uLongf n = compressBound(static_cast<uLong>(in.size()));
  std::string out(n, '\0');
  if (compress(reinterpret_cast<Bytef*>(out.data()), &n, reinterpret_cast<const Bytef*>(in.data()),
               static_cast<uLong>(in.size())) != Z_OK)
    return {};
  out.resize(n);
  return out;
}

}  // namespace sipevents::coding

SIPEVENTS_IMPL_END
