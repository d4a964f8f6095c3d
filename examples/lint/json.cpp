#include "json.hpp"

#include <cstdio>

namespace lint {
using namespace sipevents::message;

namespace {

tools::json params_json(const param_list& pl) {
  tools::json o = tools::json::object();
  for (const param& p : pl) o[std::string(p.name)] = p.has_value ? tools::json(std::string(p.value)) : tools::json(nullptr);
  return o;
}

std::string_view kind_name(uri::kind k) {
  switch (k) {
    case uri::kind::sip: return "sip";
    case uri::kind::sips: return "sips";
    case uri::kind::tel: return "tel";
    case uri::kind::other: return "other";
    case uri::kind::none: break;
  }
  return "none";
}

tools::json uri_json(const uri& u) {
  tools::json o = {{"text", std::string(u.text)}, {"scheme", kind_name(u.scheme)}};
  if (u.scheme == uri::kind::other) {
    o["opaque"] = std::string(u.opaque);
    return o;
  }
  if (!u.user.empty()) o["user"] = std::string(u.user);
  if (u.has_password) o["password"] = std::string(u.password);
  if (!u.host.empty()) o["host"] = std::string(u.host);
  if (u.has_port) o["port"] = u.port;
  if (!u.params.empty()) o["params"] = std::string(u.params);
  if (!u.headers.empty()) o["headers"] = std::string(u.headers);
  return o;
}

void name_addr_json(tools::json& o, const name_addr& na) {
  if (!na.display.empty() || na.display_quoted) o["display"] = std::string(na.display);
  o["uri"] = uri_json(na.addr);
  if (!na.tag.empty()) o["tag"] = std::string(na.tag);
  o["params"] = params_json(na.params);
}

/// Typed fields of one header value (one list element for list headers).
tools::json typed_json(hdr id, std::string_view v) {
  tools::json o = tools::json::object();
  auto fail = [&] {
    o["error"] = "malformed";
    return o;
  };
  switch (id) {
    case hdr::via: {
      via x;
      if (parse_via(v, x)) return fail();
      o["protocol"] = std::string(x.protocol_name);
      o["version"] = std::string(x.protocol_version);
      o["transport"] = std::string(x.transport);
      o["host"] = std::string(x.host);
      if (x.has_port) o["port"] = x.port;
      if (!x.branch.empty()) o["branch"] = std::string(x.branch);
      if (!x.received.empty()) o["received"] = std::string(x.received);
      if (x.rport) {
        if (x.rport_value) o["rport"] = *x.rport_value;
        else o["rport"] = true;
      }
      if (!x.maddr.empty()) o["maddr"] = std::string(x.maddr);
      if (x.ttl) o["ttl"] = *x.ttl;
      o["params"] = params_json(x.params);
      return o;
    }
    case hdr::from: case hdr::to: case hdr::route: case hdr::record_route: case hdr::path:
    case hdr::service_route: case hdr::reply_to: case hdr::refer_to: case hdr::referred_by: {
      name_addr na;
      if (parse_name_addr(v, na)) return fail();
      name_addr_json(o, na);
      return o;
    }
    case hdr::contact: {
      if (v == "*") { o["star"] = true; return o; }
      contact c;
      if (parse_contact(v, c)) return fail();
      name_addr_json(o, c.value);
      if (c.expires) o["expires"] = *c.expires;
      if (c.q) o["q"] = tools::json::parse(std::to_string(*c.q / 1000) + "." + std::to_string(1000 + *c.q % 1000).substr(1));
      return o;
    }
    case hdr::cseq: {
      cseq c;
      if (parse_cseq(v, c)) return fail();
      o["seq"] = c.seq;
      o["method"] = std::string(c.method_text);
      return o;
    }
    case hdr::call_id:
      if (parse_call_id(v)) return fail();
      o["call_id"] = std::string(v);
      return o;
    case hdr::max_forwards: {
      std::uint8_t n = 0;
      if (parse_max_forwards(v, n)) return fail();
      o["hops"] = n;
      return o;
    }
    case hdr::content_length: case hdr::expires: case hdr::min_expires: {
      std::uint32_t n = 0;
      if (parse_delta_seconds(v, n)) return fail();
      o[id == hdr::content_length ? "length" : "seconds"] = n;
      return o;
    }
    case hdr::event: {
      event_header e;
      if (parse_event(v, e)) return fail();
      o["type"] = std::string(e.type);
      o["package"] = std::string(e.package);
      if (!e.templates.empty()) o["template"] = std::string(e.templates);
      if (e.id) o["id"] = std::string(*e.id);
      o["params"] = params_json(e.params);
      return o;
    }
    case hdr::subscription_state: {
      subscription_state s;
      if (parse_subscription_state(v, s)) return fail();
      o["state"] = std::string(s.state_text);
      if (!s.reason.empty()) o["reason"] = std::string(s.reason);
      if (s.expires) o["expires"] = *s.expires;
      if (s.retry_after) o["retry_after"] = *s.retry_after;
      return o;
    }
    case hdr::content_type: case hdr::accept: {
      media_type t;
      if (parse_media_type(v, t)) return fail();
      o["type"] = std::string(t.type);
      o["subtype"] = std::string(t.subtype);
      o["params"] = params_json(t.params);
      return o;
    }
    case hdr::content_disposition: {
      content_disposition d;
      if (parse_content_disposition(v, d)) return fail();
      o["disposition"] = std::string(d.type);
      o["params"] = params_json(d.params);
      return o;
    }
    case hdr::retry_after: {
      retry_after r;
      if (parse_retry_after(v, r)) return fail();
      o["seconds"] = r.seconds;
      if (!r.comment.empty()) o["comment"] = std::string(r.comment);
      if (r.duration) o["duration"] = *r.duration;
      return o;
    }
    case hdr::date: {
      sip_date d;
      if (parse_date(v, d)) return fail();
      o["epoch"] = d.epoch();
      return o;
    }
    case hdr::allow: case hdr::allow_events: case hdr::supported: case hdr::require:
    case hdr::unsupported: case hdr::proxy_require: case hdr::sip_etag: case hdr::sip_if_match:
      if (parse_token(v)) return fail();
      o["token"] = std::string(v);
      return o;
    default:
      o["text"] = std::string(v);
      return o;
  }
}

}  // namespace

tools::json message_json(const message& m) {
  tools::json start = tools::json::object();
  if (m.is_request()) {
    start = {{"type", "request"}, {"method", std::string(m.method_text())}, {"uri", uri_json(m.request_uri())},
             {"version", std::string(m.version())}};
  } else {
    start = {{"type", "response"}, {"version", std::string(m.version())}, {"status", m.status()},
             {"reason", std::string(m.reason())}};
  }
  tools::json headers = tools::json::array();
  for (const header_field& f : m.headers()) {
    tools::json h = {{"name", std::string(f.id == hdr::unknown ? f.name : canonical_name(f.id))}};
    if (f.id != hdr::unknown && f.name != canonical_name(f.id)) h["raw_name"] = std::string(f.name);
    h["value"] = std::string(f.value);
    if (f.id != hdr::unknown) {
      if (is_list_header(f.id)) {
        tools::json typed = tools::json::array();
        const bool ok = split_list(f.value, [&](std::string_view el) { typed.push_back(typed_json(f.id, el)); });
        h["typed"] = std::move(typed);
        if (!ok) h["error"] = "empty list element";
      } else {
        h["typed"] = typed_json(f.id, f.value);
      }
    }
    headers.push_back(std::move(h));
  }
  return {{"start", std::move(start)}, {"headers", std::move(headers)}, {"body_length", m.body().size()}};
}

}  // namespace lint
