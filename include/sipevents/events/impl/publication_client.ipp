#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/events/publication_client.hpp"

#include <algorithm>

namespace sipevents::events {

namespace sm = sipevents::message;
using std::chrono::milliseconds;

SIPEVENTS_INLINE publication_client::publication_client(publish_params p, token_source ids, publication_client_config cfg)
    : p_(std::move(p)), ids_(std::move(ids)), cfg_(cfg), expires_(p_.expires) {
  if (p_.request_uri.empty()) p_.request_uri = p_.from;
  call_id_ = ids_(20);
  tag_ = ids_(10);
}

SIPEVENTS_INLINE void publication_client::publish(std::string content_type, std::string body, time_point now) {
  content_type_ = std::move(content_type);
  body_ = std::move(body);
  have_state_ = true;
  want_remove_ = false;
  stopped_ = false;
  ++version_;
  pump(now);
}

SIPEVENTS_INLINE void publication_client::remove(time_point now) {
  want_remove_ = true;
  pump(now);
}

SIPEVENTS_INLINE void publication_client::pump(time_point now) {
  if (in_flight_) return;
  if (want_remove_) {
    refresh_at_ = retry_at_ = time_point::max();
    if (!etag_.empty()) {
      send(purpose::remove, now);
    } else if (have_state_) {
      have_state_ = false;
      publisher_event e;
      e.what = publisher_event::kind::removed;
      out_.push_back(std::move(e));
    }
    return;
  }
  if (!have_state_ || stopped_ || retry_at_ != time_point::max()) return;
  if (version_ != published_version_) {
    send(etag_.empty() ? purpose::initial : purpose::modify, now);
  } else if (!etag_.empty() && now >= refresh_at_) {
    send(purpose::refresh, now);
  }
}

SIPEVENTS_INLINE void publication_client::send(purpose what, time_point) {
  auto b = sm::message_builder::request("PUBLISH", p_.request_uri);
  b.header(sm::hdr::max_forwards, "70");
  b.header(sm::hdr::from, "<" + p_.from + ">;tag=" + tag_);
  b.header(sm::hdr::to, "<" + p_.from + ">");
  b.header(sm::hdr::call_id, call_id_);
  b.header(sm::hdr::cseq, std::to_string(++cseq_) + " PUBLISH");
  b.header(sm::hdr::event, p_.event);
  b.header(sm::hdr::expires, what == purpose::remove ? "0" : std::to_string(expires_));
  if (what != purpose::initial) b.header(sm::hdr::sip_if_match, etag_);
  if (what == purpose::initial || what == purpose::modify) {
    b.body(content_type_, body_);
    sent_version_ = version_;
  }
  sent_ = what;
  in_flight_ = ++next_key_;
  refresh_at_ = time_point::max();
  publisher_event e;
  e.what = publisher_event::kind::send;
  e.request = {in_flight_, std::move(b), p_.request_uri, {}};
  out_.push_back(std::move(e));
}

SIPEVENTS_INLINE void publication_client::on_response(std::uint64_t key, const sm::message& r, time_point now) {
  if (key != in_flight_ || r.status() < 200) return;
  in_flight_ = 0;
  cseq_ = std::max(cseq_, r.cseq().seq);  // an authentication resend took the next number
  const std::uint16_t st = r.status();
  if (st >= 200 && st < 300) {
    retried_423_ = false;
    if (sent_ == purpose::remove) {
      etag_.clear();
      have_state_ = false;
      expires_at_ = time_point::max();
      publisher_event e;
      e.what = publisher_event::kind::removed;
      e.status = st;
      out_.push_back(std::move(e));
      pump(now);
      return;
    }
    std::uint32_t secs = r.expires().value_or(expires_);
    if (!r.sip_etag().empty()) etag_ = std::string(r.sip_etag());
    if (sent_ == purpose::initial || sent_ == purpose::modify) published_version_ = sent_version_;
    expires_at_ = now + seconds(secs);
    milliseconds margin = std::min<milliseconds>(milliseconds(std::uint64_t(secs) * 1000 / 3), cfg_.refresh_margin);
    refresh_at_ = expires_at_ - margin;
    publisher_event e;
    e.what = publisher_event::kind::published;
    e.status = st;
    e.etag = etag_;
    e.expires = secs;
    out_.push_back(std::move(e));
    pump(now);
    return;
  }
  if (st == 412) {
    // RFC 3903 4.4/5: our entity tag is unknown there (expired, or the ESC restarted):
    // publish the full state afresh.
    etag_.clear();
    published_version_ = 0;
    if (want_remove_) {
      pump(now);  // nothing left to remove
      return;
    }
    pump(now);
    return;
  }
  if (st == 423 && r.min_expires() && *r.min_expires() > expires_ && !retried_423_) {
    retried_423_ = true;
    expires_ = *r.min_expires();
    send(sent_, now);
    return;
  }
  std::optional<std::uint32_t> ra;
  sm::retry_after parsed;
  if (const auto* h = r.find(sm::hdr::retry_after); h && !sm::parse_retry_after(h->value, parsed)) ra = parsed.seconds;
  fail(st, ra, now);
}

SIPEVENTS_INLINE void publication_client::on_failure(std::uint64_t key, std::uint16_t status, time_point now) {
  if (key != in_flight_) return;
  in_flight_ = 0;
  fail(status, std::nullopt, now);
}

SIPEVENTS_INLINE void publication_client::fail(std::uint16_t status, std::optional<std::uint32_t> retry_after, time_point now) {
  bool transient = status == 408 || status >= 500;
  publisher_event e;
  e.what = publisher_event::kind::failed;
  e.status = status;
  if (sent_ == purpose::remove) {
    // The publication lapses on its own at the ESC.
    etag_.clear();
    have_state_ = false;
    out_.push_back(std::move(e));
    publisher_event r;
    r.what = publisher_event::kind::removed;
    r.status = status;
    out_.push_back(std::move(r));
    return;
  }
  if (transient) {
    retry_at_ = now + (retry_after ? seconds(*retry_after) : cfg_.retry);
    // A refresh without Retry-After is tried again while the publication still lives
    // (half the time left), so a server restart or a broken connection does not cost
    // it: waiting the full retry would let it lapse at the ESC.
    if (!retry_after && sent_ == purpose::refresh && expires_at_ > now && expires_at_ != time_point::max())
      retry_at_ = std::min(retry_at_, now + std::max<time_point::duration>((expires_at_ - now) / 2,
                                                                           std::chrono::milliseconds(200)));
    // A refresh that failed must come back as a refresh, not a modify.
    if (sent_ == purpose::refresh) refresh_at_ = retry_at_;
  } else {
    stopped_ = true;  // until the application publishes again
  }
  e.retrying = transient;
  out_.push_back(std::move(e));
}

SIPEVENTS_INLINE void publication_client::advance(time_point now) {
  if (now >= retry_at_) retry_at_ = time_point::max();
  if (!etag_.empty() && now >= expires_at_ && !in_flight_) {
    // It lapsed at the ESC (refreshes kept failing): start over.
    etag_.clear();
    published_version_ = 0;
    expires_at_ = time_point::max();
  }
  pump(now);
}

SIPEVENTS_INLINE time_point publication_client::next_deadline() const {
  if (in_flight_) return time_point::max();
  time_point t = std::min(retry_at_, expires_at_);
  if (retry_at_ == time_point::max()) t = std::min(t, refresh_at_);
  return t;
}

SIPEVENTS_INLINE bool publication_client::poll(publisher_event& out) {
  if (out_.empty()) return false;
  out = std::move(out_.front());
  out_.pop_front();
  return true;
}

}  // namespace sipevents::events

SIPEVENTS_IMPL_END
