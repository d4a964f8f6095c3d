// RFC 6446 notification rate control, as the Event parameters of a SUBSCRIBE ask for
// it and the Subscription-State parameters of a NOTIFY answer it: the least time
// between two NOTIFYs (max-rate, or the older draft's throttle), and the longest time
// without one (min-rate, adaptive-min-rate). Pure functions over text; the notifier
// keeps the clock.
#pragma once
// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_OPEN_EVENTS_RATE_CONTROL
#endif
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "sipevents/message/params.hpp"

namespace sipevents::events {

/// Rate control parameters. Rates are notifications per second; `throttle` is the
/// least number of seconds between two notifications
/// (draft-niemi-sipping-event-throttle, the name some subscribers still send; it
/// works as max-rate = 1/throttle).
struct rate_request {
  std::optional<double> max_rate;
  std::optional<double> min_rate;
  std::optional<double> adaptive_min_rate;
  std::optional<double> throttle;

  bool empty() const noexcept { return !max_rate && !min_rate && !adaptive_min_rate && !throttle; }
  friend bool operator==(const rate_request&, const rate_request&) = default;
};

/// What read_rate_request() made of a parameter list.
struct rate_parse {
  rate_request request;
  /// Empty when the parameters are well formed; otherwise the fault, for a 400
  /// ("Bad max-rate parameter", "min-rate and adaptive-min-rate together").
  std::string error;
};

/// Reads max-rate, min-rate, adaptive-min-rate and throttle from Event (or
/// Subscription-State) parameters. Each value must be a positive decimal ("0.2",
/// "5"): no sign, exponent or more than 15 characters. min-rate and adaptive-min-rate
/// exclude each other (they are two answers to one question).
rate_parse read_rate_request(const message::param_list& params);

/// The parameters in wire form, each led by ';' (";max-rate=0.2;throttle=5"); empty
/// for none. Values are written with at most three decimals.
std::string rate_params(const rate_request& r);

/// A rate as written on the wire: at most three decimals, trailing zeros dropped.
std::string format_rate(double v);

/// The intervals a notifier enforces for one subscription.
struct rate_limits {
  /// Least time between two NOTIFYs: the larger of the package's own interval, 1/max-rate
  /// and throttle. Changes meanwhile merge into the next NOTIFY.
  std::chrono::milliseconds min_interval{0};
  /// Longest time without a NOTIFY (0: none): 1/min-rate or 1/adaptive-min-rate, never
  /// below min_interval nor the notifier's own floor.
  std::chrono::milliseconds max_interval{0};
  /// adaptive-min-rate: max_interval bounds the average gap since the subscription
  /// (or its last change of rate) rather than each gap, so a busy resource is never
  /// sent a NOTIFY it does not need.
  bool adaptive = false;
};

/// The limits for `r` over a package interval `floor` and a notifier that forces a
/// NOTIFY at most every `force_floor`.
rate_limits limits_for(const rate_request& r, std::chrono::milliseconds floor, std::chrono::milliseconds force_floor);

/// The values in force for `r` under `l`, named as the subscriber named them, for
/// Subscription-State (RFC 6446: the notifier answers with what it applies).
rate_request in_force(const rate_request& r, const rate_limits& l);

}  // namespace sipevents::events

// header-only mode: see sipevents/impl/definitions.ipp
#ifdef SIPEVENTS_HEADER_ONLY
#undef SIPEVENTS_OPEN_EVENTS_RATE_CONTROL
#define SIPEVENTS_SEEN_EVENTS_RATE_CONTROL
#include "sipevents/impl/definitions.ipp"
#endif
