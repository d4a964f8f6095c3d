#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/events/subscription_client.hpp"

#include <algorithm>

namespace sipevents::events {
namespace sm = sipevents::message;
using std::chrono::milliseconds;

SIPEVENTS_INLINE subscription_client::subscription_client(subscribe_params p, token_source ids, client_config cfg, const package* pkg)
    : p_(std::move(p)), ids_(std::move(ids)), cfg_(cfg), pkg_(pkg) {
  if (p_.request_uri.empty()) p_.request_uri = p_.to;
}

SIPEVENTS_INLINE void subscription_client::add_event_headers(sm::message_builder& b, std::uint32_t expires) const {
  b.header(sm::hdr::event, (p_.event_id.empty() ? p_.event : p_.event + ";id=" + p_.event_id) + rate_params(p_.rate));
  b.header(sm::hdr::expires, std::to_string(expires));
  for (const auto& a : p_.accept) b.header(sm::hdr::accept, a);
  for (const auto& [n, v] : p_.headers) b.header(n, v);
}

SIPEVENTS_INLINE void subscription_client::new_call() {
  // A new subscription after one ended is a new dialog: fresh Call-ID and tag.
  call_id_ = ids_(24);
  tag_ = ids_(12);
  cseq_ = 0;
  retried_423_ = false;
}

SIPEVENTS_INLINE void subscription_client::start(time_point now) {
  new_call();
  send_initial(now);
}

SIPEVENTS_INLINE void subscription_client::send_initial(time_point, std::optional<std::uint32_t> expires) {
  auto b = sm::message_builder::request("SUBSCRIBE", p_.request_uri);
  b.header(sm::hdr::max_forwards, "70");
  b.header(sm::hdr::from, "<" + p_.from + ">;tag=" + tag_);
  b.header(sm::hdr::to, "<" + p_.to + ">");
  b.header(sm::hdr::call_id, call_id_);
  b.header(sm::hdr::cseq, std::to_string(++cseq_) + " SUBSCRIBE");
  if (!p_.contact.empty()) b.header(sm::hdr::contact, "<" + p_.contact + ">");
  add_event_headers(b, expires.value_or(p_.expires));
  b.build(initial_);
  initial_key_ = next_key();
  pending_[initial_key_] = {purpose::initial, {}};
  client_event e;
  e.what = client_event::kind::send;
  e.request = {initial_key_, std::move(b), p_.request_uri, {}};
  out_.push_back(std::move(e));
}

SIPEVENTS_INLINE subscription_client::leg& subscription_client::make_leg(dialog::dialog d) {
  std::string tag = d.id().remote_tag;
  dialog::dialog& kept = dialogs_.acquire(std::move(d));
  leg& l = legs_[tag];
  l.id = kept.id();
  return l;
}

SIPEVENTS_INLINE void subscription_client::set_expiry(leg& l, std::uint32_t secs, time_point now) {
  l.interval = secs;
  l.expires_at = now + seconds(secs);
  milliseconds margin = std::min<milliseconds>(milliseconds(std::uint64_t(secs) * 1000 / 3), cfg_.refresh_margin);
  l.refresh_at = l.unsubscribing || l.in_flight ? time_point::max() : l.expires_at - margin;
}

SIPEVENTS_INLINE void subscription_client::emit_state(const leg& l, events::reason why, std::uint16_t status) {
  client_event e;
  e.what = client_event::kind::state;
  e.remote_tag = l.id.remote_tag;
  e.state = l.state;
  e.why = why;
  e.status = status;
  out_.push_back(std::move(e));
}

SIPEVENTS_INLINE void subscription_client::check_done() {
  if (done_ || !legs_.empty() || initial_key_ != 0 || retry_at_ != time_point::max()) return;
  done_ = true;
  client_event e;
  e.what = client_event::kind::terminated;
  e.state = sub_state::terminated;
  e.why = last_reason_;
  e.status = last_status_;
  out_.push_back(std::move(e));
}

SIPEVENTS_INLINE void subscription_client::end_leg(const std::string& tag, events::reason why, std::uint16_t status, time_point now,
                                  std::optional<std::uint32_t> retry_after) {
  auto it = legs_.find(tag);
  if (it == legs_.end()) return;
  it->second.state = sub_state::terminated;
  emit_state(it->second, why, status);
  dialogs_.release(it->second.id);
  legs_.erase(it);
  last_reason_ = why;
  last_status_ = status;
  retry_after_end(why, retry_after, now);
  check_done();
}

SIPEVENTS_INLINE void subscription_client::retry_after_end(events::reason why, std::optional<std::uint32_t> retry_after,
                                          time_point now) {
  // Another fork still serves the subscription, or the application ended it.
  if (unsubscribed_ || !legs_.empty() || initial_key_ != 0) return;
  std::optional<seconds> wait;
  switch (why) {
    case reason::deactivated:  // RFC 6665 4.1.3: retry at once
    case reason::timeout:
      wait = seconds(retry_after.value_or(0));
      break;
    case reason::probation:  // only after retry-after
    case reason::giveup:
      wait = retry_after ? seconds(*retry_after) : cfg_.default_retry;
      break;
    case reason::failed:
      if (last_status_ == 481 && cfg_.resubscribe_on_481) wait = seconds(0);
      break;
    default:  // rejected, noresource, invariant, unknown: never
      break;
  }
  if (!wait) return;
  if (*wait == seconds(0)) {
    new_call();
    send_initial(now);
  } else {
    retry_at_ = now + *wait;
  }
}

SIPEVENTS_INLINE void subscription_client::unsubscribe(time_point now) {
  unsubscribed_ = true;
  retry_at_ = time_point::max();
  for (auto& [tag, l] : legs_) {
    if (l.unsubscribing) continue;
    dialog::dialog* d = dialogs_.find(l.id);
    if (!d) continue;
    auto b = d->request("SUBSCRIBE");
    add_event_headers(b, 0);
    std::uint64_t k = next_key();
    pending_[k] = {purpose::unsubscribe, tag};
    l.unsubscribing = true;
    l.in_flight = k;
    l.refresh_at = time_point::max();
    l.notify_by = now + 64 * cfg_.timers.t1;
    client_event e;
    e.request = {k, std::move(b), d->next_hop(), {}, true};
    out_.push_back(std::move(e));
  }
  last_reason_ = reason::unsubscribed;
  check_done();
}

SIPEVENTS_INLINE void subscription_client::on_response(std::uint64_t key, const sm::message& resp, time_point now) {
  auto pit = pending_.find(key);
  if (pit == pending_.end()) return;
  pending p = std::move(pit->second);
  pending_.erase(pit);
  const std::uint16_t st = resp.status();
  if (st < 200) { pending_[key] = std::move(p); return; }  // provisional: keep waiting
  const bool ok = st < 300;
  // An authentication resend numbers one above what was built: later requests follow it.
  const std::uint32_t sent_cseq = resp.cseq().seq;

  if (p.what == purpose::initial) {
    initial_key_ = 0;
    cseq_ = std::max(cseq_, sent_cseq);
    if (ok) {
      auto d = dialog::dialog::from_response(initial_, resp);
      if (!d) {
        last_reason_ = reason::failed;
        last_status_ = st;
        check_done();
        return;
      }
      std::string tag = d->id().remote_tag;
      auto it = legs_.find(tag);
      leg* l = nullptr;
      if (it == legs_.end()) {
        l = &make_leg(std::move(*d));
        l->notify_by = now + 64 * cfg_.timers.t1;  // 4.1.2.4: the NOTIFY must follow
      } else {
        l = &it->second;  // the NOTIFY came first and made the dialog
      }
      if (dialog::dialog* kept = dialogs_.find(l->id)) kept->note_local_cseq(sent_cseq);
      set_expiry(*l, resp.expires().value_or(p_.expires), now);
      if (unsubscribed_) {
        unsubscribed_ = false;  // send the Expires: 0 this leg still needs
        unsubscribe(now);
      }
      return;
    }
    if (st == 423 && !retried_423_ && resp.min_expires()) {
      retried_423_ = true;  // RFC 6665 4.1.2.1: once, with the notifier's minimum
      p_.expires = std::max(p_.expires, *resp.min_expires());
      send_initial(now);
      return;
    }
    last_reason_ = reason::failed;
    last_status_ = st;
    check_done();
    return;
  }

  auto it = legs_.find(p.remote_tag);
  if (it == legs_.end()) return;
  leg& l = it->second;
  l.in_flight = 0;
  if (dialog::dialog* d = dialogs_.find(l.id)) d->note_local_cseq(sent_cseq);
  if (p.what == purpose::unsubscribe) {
    if (!ok) end_leg(p.remote_tag, reason::unsubscribed, st, now);
    return;  // on 2xx the final NOTIFY ends the leg (or notify_by does)
  }
  if (ok) {
    if (dialog::dialog* d = dialogs_.find(l.id)) d->refresh_target(resp);
    set_expiry(l, resp.expires().value_or(p_.expires), now);
  } else if (st == 481) {
    end_leg(p.remote_tag, reason::failed, 481, now);
  } else if (st == 423 && resp.min_expires() && *resp.min_expires() > p_.expires) {
    p_.expires = *resp.min_expires();
    l.refresh_at = now;  // refresh again at once with the larger interval
  }
  // Any other failure: the subscription stands until its last known expiry (4.1.2.2).
}

SIPEVENTS_INLINE void subscription_client::on_failure(std::uint64_t key, std::uint16_t status, time_point now) {
  auto pit = pending_.find(key);
  if (pit == pending_.end()) return;
  pending p = std::move(pit->second);
  pending_.erase(pit);
  if (p.what == purpose::initial) {
    initial_key_ = 0;
    last_reason_ = reason::failed;
    last_status_ = status;
    check_done();
    return;
  }
  auto it = legs_.find(p.remote_tag);
  if (it == legs_.end()) return;
  it->second.in_flight = 0;
  if (p.what == purpose::unsubscribe) end_leg(p.remote_tag, reason::unsubscribed, status, now);
}

SIPEVENTS_INLINE bool subscription_client::matches(const sm::message& n) const {
  const sm::event_header* ev = n.event();
  if (!ev || n.call_id() != call_id_ || n.to().tag != tag_) return false;
  // RFC 6665 8.2.1: event-type and id byte for byte; an id on one side only differs.
  if (ev->type != p_.event) return false;
  if (ev->id.has_value() != !p_.event_id.empty()) return false;
  return !ev->id || *ev->id == p_.event_id;
}

SIPEVENTS_INLINE std::uint16_t subscription_client::on_notify(const sm::message& n, time_point now) {
  if (done_ || !matches(n)) return 481;
  // RFC 6665 8.2.3 requires Subscription-State, but RFC 3680's own example NOTIFYs
  // lack it; be liberal and read its absence as "active" with the expiry unchanged.
  static const sm::subscription_state k_active{sm::subscription_state::value::active, "active", {}, {}, {}, {}};
  const sm::subscription_state* ss = n.subscription_state() ? n.subscription_state() : &k_active;
  std::string tag(n.from().tag);
  auto it = legs_.find(tag);
  leg* l = nullptr;
  if (it == legs_.end()) {
    // A NOTIFY before the 2xx, or from a fork: it creates its own dialog (4.1.2.4).
    auto d = dialog::dialog::from_forked_request(initial_, n);
    if (!d) return 481;
    if (ss->state == sm::subscription_state::value::terminated && unsubscribed_) return 200;
    l = &make_leg(std::move(*d));
  } else {
    l = &it->second;
    dialog::dialog* d = dialogs_.find(l->id);
    if (d && d->receive(n) == dialog::request_check::out_of_order) return 500;
  }
  l->got_notify = true;
  if (!l->unsubscribing) l->notify_by = time_point::max();
  // RFC 5839: the tag of the state this NOTIFY leaves us with (a NOTIFY without it
  // means the notifier does not do entity-tags, or no longer does).
  if (const sm::header_field* et = n.find(sm::hdr::sip_etag)) l->etag = std::string(et->value);
  else l->etag.clear();

  client_event e;
  e.what = client_event::kind::notify;
  e.remote_tag = tag;
  e.expires = ss->expires;
  // A malformed answer is not worth refusing the NOTIFY over: it is simply not shown.
  if (rate_parse rp = read_rate_request(ss->params); rp.error.empty()) e.rate = rp.request;
  e.notify = n;
  if (pkg_ && n.content_type() && !n.body().empty()) e.body = pkg_->decode(*n.content_type(), n.body());
  using v = sm::subscription_state::value;
  if (ss->state == v::terminated) {
    e.state = sub_state::terminated;
    e.why = reason_from(ss->reason);
    events::reason why = l->unsubscribing ? reason::unsubscribed : e.why;
    out_.push_back(std::move(e));
    end_leg(tag, why, 0, now, ss->retry_after);
    return 200;
  }
  // active, pending, or an extension state (treated as pending, RFC 6665 4.1.3)
  sub_state next = ss->state == v::active ? sub_state::active : sub_state::pending;
  e.state = next;
  out_.push_back(std::move(e));
  // Subscription-State expires is the newest word on expiry; without it the one from
  // the 2xx stands (or the interval asked for, when the NOTIFY came first).
  if (ss->expires) set_expiry(*l, *ss->expires, now);
  else if (l->expires_at == time_point::max()) set_expiry(*l, p_.expires, now);
  if (next != l->state) {
    l->state = next;
    emit_state(*l);
  }
  return 200;
}

SIPEVENTS_INLINE void subscription_client::advance(time_point now) {
  if (retry_at_ <= now) {
    retry_at_ = time_point::max();
    new_call();
    send_initial(now);
  }
  std::vector<std::string> tags;
  for (const auto& [tag, l] : legs_) tags.push_back(tag);
  for (const auto& tag : tags) {
    auto it = legs_.find(tag);
    if (it == legs_.end()) continue;
    leg& l = it->second;
    if (l.notify_by <= now) {
      end_leg(tag, l.unsubscribing ? reason::unsubscribed : reason::no_notify, 0, now);
    } else if (l.expires_at <= now) {
      end_leg(tag, reason::expired, 0, now);
    } else if (l.refresh_at <= now) {
      send_refresh(tag, l, cfg_.conditional_refresh);
    }
  }
}

SIPEVENTS_INLINE void subscription_client::send_refresh(const std::string& tag, leg& l, bool conditional) {
  l.refresh_at = time_point::max();
  dialog::dialog* d = dialogs_.find(l.id);
  if (!d) return;
  auto b = d->request("SUBSCRIBE");
  add_event_headers(b, p_.expires);
  if (conditional && !l.etag.empty()) b.header("Suppress-If-Match", l.etag);
  std::uint64_t k = next_key();
  pending_[k] = {purpose::refresh, tag};
  l.in_flight = k;
  client_event e;
  e.request = {k, std::move(b), d->next_hop(), {}, true};
  out_.push_back(std::move(e));
}

SIPEVENTS_INLINE void subscription_client::refresh(time_point) {
  for (auto& [tag, l] : legs_)
    if (!l.in_flight && !l.unsubscribing) send_refresh(tag, l, false);
}

SIPEVENTS_INLINE time_point subscription_client::next_deadline() const {
  time_point t = retry_at_;
  for (const auto& [tag, l] : legs_) t = std::min({t, l.notify_by, l.expires_at, l.refresh_at});
  return t;
}

SIPEVENTS_INLINE bool subscription_client::poll(client_event& out) {
  if (out_.empty()) return false;
  out = std::move(out_.front());
  out_.pop_front();
  return true;
}

SIPEVENTS_INLINE std::optional<sub_state> subscription_client::leg_state(const std::string& remote_tag) const {
  auto it = legs_.find(remote_tag);
  if (it == legs_.end()) return std::nullopt;
  return it->second.state;
}

}  // namespace sipevents::events

SIPEVENTS_IMPL_END
