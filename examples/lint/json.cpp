#include "json.hpp"

#include <cstdio>

namespace lint {
using namespace sipevents::message;

namespace {

std::size_t utf8_len(std::string_view s, std::size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  return n;
}

class obj {
 public:
  explicit obj(std::string& out) : out_(out) { out_ += '{'; }
  ~obj() { out_ += '}'; }
  obj(const obj&) = delete;
  obj& operator=(const obj&) = delete;
  std::string& key(std::string_view k) {
    if (!first_) out_ += ',';
    first_ = false;
    json_string(out_, k);
    out_ += ':';
    return out_;
  }
  void str(std::string_view k, std::string_view v) { json_string(key(k), v); }
  void num(std::string_view k, unsigned long long v) { key(k) += std::to_string(v); }
  void boolean(std::string_view k, bool v) { key(k) += v ? "true" : "false"; }

 private:
  std::string& out_;
  bool first_ = true;
};

void params_json(std::string& out, const param_list& pl) {
  obj o(out);
  for (const param& p : pl) {
    if (p.has_value) o.str(p.name, p.value);
    else o.key(p.name) += "null";
  }
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

void uri_json(std::string& out, const uri& u) {
  obj o(out);
  o.str("text", u.text);
  o.str("scheme", kind_name(u.scheme));
  if (u.scheme == uri::kind::other) { o.str("opaque", u.opaque); return; }
  if (!u.user.empty()) o.str("user", u.user);
  if (u.has_password) o.str("password", u.password);
  if (!u.host.empty()) o.str("host", u.host);
  if (u.has_port) o.num("port", u.port);
  if (!u.params.empty()) o.str("params", u.params);
  if (!u.headers.empty()) o.str("headers", u.headers);
}

void name_addr_json(obj& o, const name_addr& na) {
  if (!na.display.empty() || na.display_quoted) o.str("display", na.display);
  uri_json(o.key("uri"), na.addr);
  if (!na.tag.empty()) o.str("tag", na.tag);
  params_json(o.key("params"), na.params);
}

/// Typed fields of one header value (one list element for list headers).
void typed_json(std::string& out, hdr id, std::string_view v) {
  obj o(out);
  auto fail = [&] { o.str("error", "malformed"); };
  switch (id) {
    case hdr::via: {
      via x;
      if (parse_via(v, x)) return fail();
      o.str("protocol", x.protocol_name);
      o.str("version", x.protocol_version);
      o.str("transport", x.transport);
      o.str("host", x.host);
      if (x.has_port) o.num("port", x.port);
      if (!x.branch.empty()) o.str("branch", x.branch);
      if (!x.received.empty()) o.str("received", x.received);
      if (x.rport) {
        if (x.rport_value) o.num("rport", *x.rport_value);
        else o.key("rport") += "true";
      }
      if (!x.maddr.empty()) o.str("maddr", x.maddr);
      if (x.ttl) o.num("ttl", *x.ttl);
      params_json(o.key("params"), x.params);
      return;
    }
    case hdr::from: case hdr::to: case hdr::route: case hdr::record_route: case hdr::path:
    case hdr::service_route: case hdr::reply_to: case hdr::refer_to: case hdr::referred_by: {
      name_addr na;
      if (parse_name_addr(v, na)) return fail();
      return name_addr_json(o, na);
    }
    case hdr::contact: {
      if (v == "*") { o.boolean("star", true); return; }
      contact c;
      if (parse_contact(v, c)) return fail();
      name_addr_json(o, c.value);
      if (c.expires) o.num("expires", *c.expires);
      if (c.q) o.key("q") += std::to_string(*c.q / 1000) + "." + std::to_string(1000 + *c.q % 1000).substr(1);
      return;
    }
    case hdr::cseq: {
      cseq c;
      if (parse_cseq(v, c)) return fail();
      o.num("seq", c.seq);
      o.str("method", c.method_text);
      return;
    }
    case hdr::call_id:
      if (parse_call_id(v)) return fail();
      o.str("call_id", v);
      return;
    case hdr::max_forwards: {
      std::uint8_t n = 0;
      if (parse_max_forwards(v, n)) return fail();
      o.num("hops", n);
      return;
    }
    case hdr::content_length: case hdr::expires: case hdr::min_expires: {
      std::uint32_t n = 0;
      if (parse_delta_seconds(v, n)) return fail();
      o.num(id == hdr::content_length ? "length" : "seconds", n);
      return;
    }
    case hdr::event: {
      event_header e;
      if (parse_event(v, e)) return fail();
      o.str("type", e.type);
      o.str("package", e.package);
      if (!e.templates.empty()) o.str("template", e.templates);
      if (e.id) o.str("id", *e.id);
      params_json(o.key("params"), e.params);
      return;
    }
    case hdr::subscription_state: {
      subscription_state s;
      if (parse_subscription_state(v, s)) return fail();
      o.str("state", s.state_text);
      if (!s.reason.empty()) o.str("reason", s.reason);
      if (s.expires) o.num("expires", *s.expires);
      if (s.retry_after) o.num("retry_after", *s.retry_after);
      return;
    }
    case hdr::content_type: case hdr::accept: {
      media_type t;
      if (parse_media_type(v, t)) return fail();
      o.str("type", t.type);
      o.str("subtype", t.subtype);
      params_json(o.key("params"), t.params);
      return;
    }
    case hdr::content_disposition: {
      content_disposition d;
      if (parse_content_disposition(v, d)) return fail();
      o.str("disposition", d.type);
      params_json(o.key("params"), d.params);
      return;
    }
    case hdr::retry_after: {
      retry_after r;
      if (parse_retry_after(v, r)) return fail();
      o.num("seconds", r.seconds);
      if (!r.comment.empty()) o.str("comment", r.comment);
      if (r.duration) o.num("duration", *r.duration);
      return;
    }
    case hdr::date: {
      sip_date d;
      if (parse_date(v, d)) return fail();
      o.key("epoch") += std::to_string(d.epoch());
      return;
    }
    case hdr::allow: case hdr::allow_events: case hdr::supported: case hdr::require:
    case hdr::unsupported: case hdr::proxy_require: case hdr::sip_etag: case hdr::sip_if_match:
      if (parse_token(v)) return fail();
      o.str("token", v);
      return;
    default:
      o.str("text", v);
      return;
  }
}

}  // namespace

void json_string(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') { out += '\\'; out += static_cast<char>(c); }
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (std::size_t n = utf8_len(s, i)) {
      out.append(s.substr(i, n));
      i += n - 1;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    }
  }
  out += '"';
}

std::string message_json(const message& m) {
  std::string out;
  {
    obj o(out);
    {
      obj s(o.key("start"));
      if (m.is_request()) {
        s.str("type", "request");
        s.str("method", m.method_text());
        uri_json(s.key("uri"), m.request_uri());
        s.str("version", m.version());
      } else {
        s.str("type", "response");
        s.str("version", m.version());
        s.num("status", m.status());
        s.str("reason", m.reason());
      }
    }
    std::string& h = o.key("headers");
    h += '[';
    bool first = true;
    for (const header_field& f : m.headers()) {
      if (!first) h += ',';
      first = false;
      obj ho(h);
      ho.str("name", f.id == hdr::unknown ? f.name : canonical_name(f.id));
      if (f.id != hdr::unknown && f.name != canonical_name(f.id)) ho.str("raw_name", f.name);
      ho.str("value", f.value);
      if (f.id == hdr::unknown) continue;
      if (is_list_header(f.id)) {
        std::string& arr = ho.key("typed");
        arr += '[';
        bool fe = true;
        bool ok = split_list(f.value, [&](std::string_view el) {
          if (!fe) arr += ',';
          fe = false;
          typed_json(arr, f.id, el);
        });
        arr += ']';
        if (!ok) ho.str("error", "empty list element");
      } else {
        typed_json(ho.key("typed"), f.id, f.value);
      }
    }
    h += ']';
    o.num("body_length", m.body().size());
  }
  return out;
}

}  // namespace lint
