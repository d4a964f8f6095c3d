#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/pager/pager.hpp"

namespace sipevents::pager {
namespace sm = sipevents::message;

SIPEVENTS_INLINE sm::message_builder pager_client::build(const page& p) {
  auto b = sm::message_builder::request("MESSAGE", p.request_uri.empty() ? p.to : p.request_uri);
  b.header(sm::hdr::max_forwards, "70");
  b.header(sm::hdr::from, "<" + p.from + ">;tag=" + ids_.random_token(12));
  b.header(sm::hdr::to, "<" + p.to + ">");
  b.header(sm::hdr::call_id, ids_.random_token(24));
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
