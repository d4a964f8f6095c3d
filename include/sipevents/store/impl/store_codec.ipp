// Records as bytes: a format-version byte, then each field in a fixed order, strings
// and numbers as LEB128 varints (signed ones zigzagged), times as wall-clock ms.
#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include <algorithm>
#include <limits>
#include <type_traits>

#include "sipevents/store/state_store.hpp"

namespace sipevents::store {

namespace {

constexpr std::uint8_t format_v1 = 1;

class writer {
 public:
  explicit writer(const clock_pair& c) : c_(c) { out_.push_back(static_cast<char>(format_v1)); }
  void u(std::uint64_t v) {
    do {
      std::uint8_t b = v & 0x7f;
      v >>= 7;
      out_.push_back(static_cast<char>(v ? b | 0x80 : b));
    } while (v);
  }
  void s(std::string_view v) {
    u(v.size());
    out_.append(v);
  }
  void i(std::int64_t v) { u((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63)); }
  void t(time_point v) { i(c_.to_wall(v)); }
  template <class T>
  void opt(const std::optional<T>& v) {
    u(v ? 1 : 0);
    if (v) u(*v);
  }
  std::string take() { return std::move(out_); }

 private:
  const clock_pair& c_;
  std::string out_;
};

class reader {
 public:
  reader(std::string_view b, const clock_pair& c) : b_(b), c_(c) {}
  bool version() {
    if (b_.empty() || static_cast<std::uint8_t>(b_[0]) != format_v1) return ok_ = false;
    p_ = 1;
    return true;
  }
  std::uint64_t u() {
    std::uint64_t v = 0;
    for (unsigned shift = 0; ok_; shift += 7) {
      if (p_ >= b_.size() || shift > 63) return ok_ = false, 0;
      const auto byte = static_cast<std::uint8_t>(b_[p_++]);
      v |= std::uint64_t(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
    }
    return 0;
  }
  template <class T>
  T n() {
    std::uint64_t v = u();
    if (v > std::numeric_limits<T>::max()) ok_ = false;
    return static_cast<T>(v);
  }
  std::string s() {
    std::uint64_t n = u();
    if (!fits(n)) return {};
    std::string v(b_.substr(p_, n));
    p_ += n;
    return v;
  }
  std::int64_t i() {
    std::uint64_t v = u();
    return static_cast<std::int64_t>((v >> 1) ^ (~(v & 1) + 1));
  }
  time_point t() { return c_.to_steady(i()); }
  template <class T>
  std::optional<T> opt() {
    if (!u()) return std::nullopt;
    return n<T>();
  }
  /// At least `n` bytes are left; marks the input malformed otherwise.
  bool fits(std::uint64_t n) {
    if (!ok_ || n > b_.size() - p_) ok_ = false;
    return ok_;
  }
  /// Every byte read and nothing malformed.
  bool done() const noexcept { return ok_ && p_ == b_.size(); }

 private:
  std::string_view b_;
  const clock_pair& c_;
  std::size_t p_ = 0;
  bool ok_ = true;
};

void write(writer& w, const binding_record& r) {
  w.s(r.aor), w.s(r.id), w.s(r.uri), w.s(r.display_name), w.s(r.params), w.s(r.call_id);
  w.u(r.cseq), w.opt(r.q), w.s(r.received), w.t(r.expires_at), w.t(r.registered_at);
}
void read(reader& rd, binding_record& r) {
  r.aor = rd.s(), r.id = rd.s(), r.uri = rd.s(), r.display_name = rd.s(), r.params = rd.s(), r.call_id = rd.s();
  r.cseq = rd.n<std::uint32_t>(), r.q = rd.opt<std::uint16_t>(), r.received = rd.s();
  r.expires_at = rd.t(), r.registered_at = rd.t();
}
void write(writer& w, const publication_record& r) {
  w.s(r.etag), w.s(r.event), w.s(r.resource), w.s(r.publisher), w.s(r.content_type), w.s(r.body);
  w.t(r.expires_at), w.u(r.modified);
}
void read(reader& rd, publication_record& r) {
  r.etag = rd.s(), r.event = rd.s(), r.resource = rd.s(), r.publisher = rd.s(), r.content_type = rd.s();
  r.body = rd.s(), r.expires_at = rd.t(), r.modified = rd.u();
}
void write(writer& w, const subscription_record& r) {
  w.s(r.key), w.s(r.package), w.s(r.event_id), w.s(r.resource), w.s(r.content_type);
  w.u(r.authorization), w.u(r.state), w.t(r.expires_at);
  w.s(r.call_id), w.s(r.local_tag), w.s(r.remote_tag), w.s(r.local_uri), w.s(r.remote_uri);
  w.s(r.remote_target), w.s(r.local_contact);
  w.u(r.route_set.size());
  for (const auto& x : r.route_set) w.s(x);
  w.u(r.local_cseq), w.u(r.cseq_mark), w.opt(r.remote_cseq), w.s(r.package_state);
  w.s(r.rate_control);
}
void read(reader& rd, subscription_record& r) {
  r.key = rd.s(), r.package = rd.s(), r.event_id = rd.s(), r.resource = rd.s(), r.content_type = rd.s();
  r.authorization = rd.n<std::uint8_t>(), r.state = rd.n<std::uint8_t>(), r.expires_at = rd.t();
  r.call_id = rd.s(), r.local_tag = rd.s(), r.remote_tag = rd.s(), r.local_uri = rd.s(), r.remote_uri = rd.s();
  r.remote_target = rd.s(), r.local_contact = rd.s();
  // Each route costs at least one byte: a count beyond what is left is malformed.
  const std::uint64_t routes = rd.u();
  if (rd.fits(routes))
    for (std::uint64_t k = 0; k < routes; ++k) r.route_set.push_back(rd.s());
  r.local_cseq = rd.n<std::uint32_t>(), r.cseq_mark = rd.n<std::uint32_t>();
  r.remote_cseq = rd.opt<std::uint32_t>(), r.package_state = rd.s();
  // Added later: a record written before it ends here.
  if (!rd.done()) r.rate_control = rd.s();
}
void write(writer& w, const meta_record& r) { w.s(r.name), w.s(r.value); }
void read(reader& rd, meta_record& r) { r.name = rd.s(), r.value = rd.s(); }

template <class T>
bool decode_as(std::string_view bytes, const clock_pair& c, record& out) {
  reader rd(bytes, c);
  if (!rd.version()) return false;
  T r;
  read(rd, r);
  if (!rd.done()) return false;
  out = std::move(r);
  return true;
}

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sipevents.store"; }
  std::string message(int c) const override {
    switch (static_cast<store_errc>(c)) {
      case store_errc::unavailable: return "the store cannot be written";
      case store_errc::corrupt: return "the store holds data that is not ours or not readable";
      case store_errc::newer_schema: return "the store was written by a newer program";
    }
    return "store error";
  }
};

}  // namespace

SIPEVENTS_INLINE std::int64_t clock_pair::to_wall(time_point t) const noexcept {
  if (t == time_point::max()) return std::numeric_limits<std::int64_t>::max();
  return wall_ms + std::chrono::duration_cast<std::chrono::milliseconds>(t - steady).count();
}

SIPEVENTS_INLINE time_point clock_pair::to_steady(std::int64_t wall) const noexcept {
  if (wall == std::numeric_limits<std::int64_t>::max()) return time_point::max();
  // A stored time is whatever the file says: keep it within about 30 years of now,
  // which the steady clock's nanoseconds can hold on either side.
  constexpr std::int64_t bound = 1'000'000'000'000;
  std::int64_t diff = 0;
  if (__builtin_sub_overflow(wall, wall_ms, &diff)) diff = wall < 0 ? -bound : bound;
  diff = std::clamp(diff, -bound, bound);
  return steady + std::chrono::milliseconds(diff);
}

SIPEVENTS_INLINE std::string encode(const record& r, const clock_pair& clocks) {
  writer w(clocks);
  std::visit([&](const auto& x) { write(w, x); }, r);
  return w.take();
}

SIPEVENTS_INLINE bool decode(record_kind kind, std::string_view bytes, const clock_pair& clocks, record& out) {
  switch (kind) {
    case record_kind::binding: return decode_as<binding_record>(bytes, clocks, out);
    case record_kind::publication: return decode_as<publication_record>(bytes, clocks, out);
    case record_kind::subscription: return decode_as<subscription_record>(bytes, clocks, out);
    case record_kind::meta: return decode_as<meta_record>(bytes, clocks, out);
  }
  return false;
}

SIPEVENTS_INLINE stored to_stored(const entry& e, const clock_pair& clocks) {
  stored s;
  s.kind = e.kind;
  s.key = e.key;
  s.group = e.group;
  s.reason = e.reason;
  s.if_expired = e.if_expired;
  s.now_wall_ms = clocks.wall_ms;
  if (e.value) {
    s.value = encode(*e.value, clocks);
    time_point x = expiry_of(*e.value);
    s.expires_wall_ms = x == time_point::max() ? 0 : clocks.to_wall(x);
  }
  return s;
}

SIPEVENTS_INLINE std::error_code load_all(state_store& s, const clock_pair& clocks, loaded& out) {
  for (record_kind k : {record_kind::meta, record_kind::binding, record_kind::publication, record_kind::subscription}) {
    std::error_code ec = s.load(k, [&](std::string_view, std::string_view value) {
      record r;
      if (!decode(k, value, clocks, r)) {
        ++out.unreadable;
        return;
      }
      std::visit(
          [&](auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, binding_record>) out.bindings.push_back(std::move(x));
            else if constexpr (std::is_same_v<T, publication_record>) out.publications.push_back(std::move(x));
            else if constexpr (std::is_same_v<T, subscription_record>) out.subscriptions.push_back(std::move(x));
            else out.meta.push_back(std::move(x));
          },
          r);
    });
    if (ec) return ec;
  }
  return {};
}

SIPEVENTS_INLINE std::string_view meta_value(const loaded& l, std::string_view name) {
  for (const meta_record& m : l.meta)
    if (m.name == name) return m.value;
  return {};
}

SIPEVENTS_INLINE const std::error_category& store_category() noexcept {
  static const category c;
  return c;
}

}  // namespace sipevents::store

SIPEVENTS_IMPL_END
