#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/pager/pager.hpp"

#include "sipevents/coding/content_coding.hpp"

namespace sipevents::pager {
namespace sm = sipevents::message;

SIPEVENTS_INLINE sm::message_builder pager_client::build(const page& p) {
  auto b = sm::message_builder::request("MESSAGE", p.request_uri.empty() ? p.to : p.request_uri);
  b.header(sm::hdr::max_forwards, "70");
  b.header(sm::hdr::from, "<" + p.from + ">;tag=" + ids_.random_token(12));
  b.header(sm::hdr::to, "<" + p.to + ">");
  b.header(sm::hdr::call_id, p.call_id.empty() ? ids_.random_token(24) : p.call_id);
  b.header(sm::hdr::cseq, "1 MESSAGE");
  for (const auto& [n, v] : p.headers) b.header(n, v);
  b.body(p.content_type, p.body);
  return b;
}

SIPEVENTS_INLINE std::optional<sm::message_builder> pager_server::vet(const sm::message& req, std::string_view to_tag) const {
  const sm::media_type* ct = req.content_type();
  if (!ct) return sm::message_builder::response_to(req, 400, "Missing Content-Type", to_tag);
  if (req.body().size() > policy_.max_body) {
    return sm::message_builder::response_to(req, 413, "Request Entity Too Large", to_tag);
  }
  if (policy_.accept.empty()) return std::nullopt;
  std::string accept;
  for (const auto& t : policy_.accept) {
    std::string_view s = t;
    std::size_t slash = s.find('/');
    sm::media_type want;
    want.type = s.substr(0, slash);
    want.subtype = s.substr(slash + 1);
    if (want.matches(ct->type, ct->subtype)) return std::nullopt;
    accept.append(accept.empty() ? "" : ", ").append(t);
  }
  auto b = sm::message_builder::response_to(req, 415, "Unsupported Media Type", to_tag);
  b.header(sm::hdr::accept, accept);
  return b;
}

SIPEVENTS_INLINE taken_page pager_server::take(const sm::message& req, std::string_view to_tag,
                                               transaction::transport_kind t) const {
  taken_page out;
  if ((out.reject = vet(req, to_tag))) return out;
  auto refuse = [&](std::uint16_t status, std::string reason) {
    // A reason phrase is one line of text: what a body said stays out of it.
    for (char& c : reason)
      if (c == '\r' || c == '\n' || static_cast<unsigned char>(c) < 0x20) c = ' ';
    if (reason.size() > 120) reason.resize(120);
    out.reject = sm::message_builder::response_to(req, status, reason, to_tag);
    return out;
  };
  received_page& p = out.page;
  p = read(req, t);
  p.call_id = std::string(req.call_id());
  for (char& c : p.content_type) c = char(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
  if (const sm::header_field* ce = req.find(sm::hdr::content_encoding); ce && !ce->value.empty()) {
    if (!coding::known_encoding(ce->value)) {
      refuse(415, "Unsupported Content-Encoding");
      out.reject->header("Accept-Encoding", coding::accepted_encodings);
      return out;
    }
    std::string inflated;
    if (ce->value != "identity") {
      if (!coding::inflate_body(p.body, policy_.max_body, inflated)) return refuse(400, "Bad Body: not " + std::string(ce->value));
      p.body = std::move(inflated);
    }
  }
  std::string why;
  if (p.content_type == cpim_type) {
    cpim_message m;
    if (!decode_cpim(p.body, m, &why, {64, policy_.max_body})) return refuse(400, "Bad CPIM Body: " + why);
    p.wants = read_imdn_request(m);
    p.content_type = m.content_type();
    p.body = m.body;
    p.cpim = std::move(m);
  }
  if (p.content_type == imdn_type) {
    imdn_notification n;
    if (!decode_imdn(p.body, n, &why)) return refuse(400, "Bad IMDN Body: " + why);
    p.imdn = std::move(n);
  } else if (p.content_type == iscomposing_type) {
    composing_indication c;
    if (!decode_iscomposing(p.body, c, &why)) return refuse(400, "Bad isComposing Body: " + why);
    p.composing = std::move(c);
  }
  return out;
}

SIPEVENTS_INLINE received_page pager_server::read(const sm::message& req, transaction::transport_kind t) {
  received_page r;
  r.from = std::string(req.from().addr.text);
  r.to = std::string(req.to().addr.text);
  if (const sm::media_type* ct = req.content_type()) r.content_type = std::string(ct->type) + "/" + std::string(ct->subtype);
  r.body = std::string(req.body());
  r.transport = std::string(transaction::to_string(t));
  return r;
}

}  // namespace sipevents::pager

SIPEVENTS_IMPL_END
