#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/events/rate_control.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace sipevents::events {
namespace {

using ms = std::chrono::milliseconds;

// No interval is longer than a day: any subscription is refreshed sooner, so a longer
// one would mean the same, and the arithmetic stays far from overflow.
constexpr std::int64_t k_rate_cap_ms = 86'400'000;

bool rate_value(std::string_view v, double& out) {
  // RFC 6446 5: a positive real number given by a finite decimal representation.
  if (v.empty() || v.size() > 15) return false;
  int dots = 0, digits = 0;
  for (char c : v) {
    if (c == '.') ++dots;
    else if (c >= '0' && c <= '9') ++digits;
    else return false;
  }
  if (dots > 1 || digits == 0) return false;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && p == v.data() + v.size() && std::isfinite(out) && out > 0;
}

ms clamp_ms(double millis) {
  if (!(millis < double(k_rate_cap_ms))) return ms(k_rate_cap_ms);
  return ms(std::max<std::int64_t>(1, std::llround(millis)));
}

}  // namespace

SIPEVENTS_INLINE rate_parse read_rate_request(const message::param_list& params) {
  rate_parse out;
  struct slot {
    std::string_view name;
    std::optional<double>* v;
  };
  const slot slots[] = {{"max-rate", &out.request.max_rate},
                        {"min-rate", &out.request.min_rate},
                        {"adaptive-min-rate", &out.request.adaptive_min_rate},
                        {"throttle", &out.request.throttle}};
  for (const slot& s : slots) {
    std::optional<std::string_view> v = params.get(s.name);
    if (!v) continue;
    double d = 0;
    if (!rate_value(*v, d)) {
      out.error = "Bad " + std::string(s.name) + " parameter";
      return out;
    }
    *s.v = d;
  }
  if (out.request.min_rate && out.request.adaptive_min_rate) out.error = "min-rate and adaptive-min-rate together";
  return out;
}

SIPEVENTS_INLINE std::string format_rate(double v) {
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%.6f", v);
  std::string s(buf, n > 0 ? std::size_t(n) : 0);
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  return s;
}

SIPEVENTS_INLINE std::string rate_params(const rate_request& r) {
  std::string out;
  auto put = [&out](std::string_view name, const std::optional<double>& v) {
    if (v) out.append(";").append(name).append("=").append(format_rate(*v));
  };
  put("max-rate", r.max_rate);
  put("min-rate", r.min_rate);
  put("adaptive-min-rate", r.adaptive_min_rate);
  put("throttle", r.throttle);
  return out;
}

SIPEVENTS_INLINE rate_limits limits_for(const rate_request& r, ms floor, ms force_floor) {
  rate_limits l;
  l.min_interval = std::clamp(floor, ms(0), ms(k_rate_cap_ms));
  if (r.max_rate) l.min_interval = std::max(l.min_interval, clamp_ms(1000.0 / *r.max_rate));
  if (r.throttle) l.min_interval = std::max(l.min_interval, clamp_ms(1000.0 * *r.throttle));
  const std::optional<double>& low = r.min_rate ? r.min_rate : r.adaptive_min_rate;
  if (low) {
    // Never forced more often than the notifier allows, nor than max-rate allows
    // (a min-rate above max-rate is lowered to it).
    l.max_interval = std::max({clamp_ms(1000.0 / *low), force_floor, l.min_interval, ms(1)});
    l.max_interval = std::min(l.max_interval, ms(k_rate_cap_ms));
    l.adaptive = !r.min_rate;
  }
  return l;
}

SIPEVENTS_INLINE rate_request in_force(const rate_request& r, const rate_limits& l) {
  // What was asked is answered as written when it is what applies (max-rate=3 is
  // 333 ms, which reads back as 3.003).
  auto rate = [](const std::optional<double>& asked, ms applied) -> std::optional<double> {
    if (!asked || applied.count() <= 0) return std::nullopt;
    if (1000.0 / *asked < double(k_rate_cap_ms) && clamp_ms(1000.0 / *asked) == applied) return asked;
    return 1000.0 / double(applied.count());
  };
  rate_request out;
  out.max_rate = rate(r.max_rate, l.min_interval);
  if (r.throttle)
    out.throttle = 1000.0 * *r.throttle < double(k_rate_cap_ms) && clamp_ms(1000.0 * *r.throttle) == l.min_interval
                       ? *r.throttle
                       : double(l.min_interval.count()) / 1000.0;
  out.min_rate = rate(r.min_rate, l.max_interval);
  if (!r.min_rate) out.adaptive_min_rate = rate(r.adaptive_min_rate, l.max_interval);
  return out;
}

}  // namespace sipevents::events

SIPEVENTS_IMPL_END
