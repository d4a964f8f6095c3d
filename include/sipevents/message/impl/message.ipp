#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/message/message.hpp"

#include <algorithm>
#include <cstring>

#include "chars.hpp"
#include "header_table.hpp"
#include "typed.hpp"

namespace sipevents::message {
using namespace detail;

namespace detail {

SIPEVENTS_INLINE std::size_t list_element_end(std::string_view v, std::size_t i) noexcept {
  // Only , " < ( ) and \ matter; everything between them is skipped a block at a time.
  const char* p = v.data() + i;
  const char* end = v.data() + v.size();
  int paren = 0;
  while ((p = find_list_special(p, end)) < end) {
    switch (*p) {
      case ',':
        if (!paren) return static_cast<std::size_t>(p - v.data());
        ++p;
        break;
      case '"':
        for (++p; p < end && *p != '"'; ++p)
          if (*p == '\\') ++p;
        if (p < end) ++p;
        break;
      case '<':  // the first '>' closes it: URIs cannot contain one
        p = find_char(p + 1, end, '>');
        if (p < end) ++p;
        break;
      case '(': ++paren; ++p; break;
      case ')': if (paren) --paren; ++p; break;
      default:  // '\\' escapes the next character inside a comment only
        p += paren ? 2 : 1;
        break;
    }
  }
  return v.size();
}

SIPEVENTS_INLINE std::string_view trim(std::string_view v) noexcept {
  if (v.empty() || (static_cast<unsigned char>(v.front()) > ' ' && static_cast<unsigned char>(v.back()) > ' ')) return v;
  const char* b = v.data();
  const char* e = b + v.size();
  b = skip_lws(b, e);
  while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n')) --e;
  return sv(b, e);
}

}  // namespace detail

// ---- list_values -------------------------------------------------------------------

SIPEVENTS_INLINE list_values::iterator::iterator(const header_field* f, const header_field* end, hdr id) noexcept
    : f_(f), end_(end), id_(id) {
  seek();
}

SIPEVENTS_INLINE void list_values::iterator::seek() noexcept {
  // Find the next field with our id and position on its first non-empty element.
  while (f_ < end_) {
    if (f_->id == id_) {
      if (rest_.data() == nullptr) rest_ = f_->value;
      while (!rest_.empty()) {
        // Only list headers split at commas; Authorization and friends never do.
        std::size_t e = is_list_header(id_) ? list_element_end(rest_, 0) : rest_.size();
        cur_ = trim(rest_.substr(0, e));
        rest_ = e < rest_.size() ? rest_.substr(e + 1) : std::string_view(rest_.data() + rest_.size(), 0);
        if (!cur_.empty()) { return; }
      }
    }
    ++f_;
    rest_ = {};
  }
  rest_ = {};
  cur_ = {};
}

SIPEVENTS_INLINE void list_values::iterator::next() noexcept {
  if (f_ >= end_) return;
  if (rest_.empty()) {
    ++f_;
    rest_ = {};
  }
  seek();
}

// ---- parser ------------------------------------------------------------------------

class parser {
 public:
  parser(message& m, const parse_limits& l) : m_(m), lim_(l) {}
  [[gnu::always_inline]] inline codec_error run(bool framed);

 private:
  codec_error read(bool framed);
  void fail(errc e, hdr h = hdr::unknown, std::string_view name = {}) {
    if (!err_) err_ = codec_error{e, h, name};
  }
  bool start_line(std::string_view line);
  [[gnu::always_inline]] inline void header(hdr id, std::string_view name, std::string_view value);
  bool once(bool& seen, hdr id) {
    if (seen) { fail(errc::duplicate_header, id); return false; }
    seen = true;
    return true;
  }

  message& m_;
  const parse_limits& lim_;
  codec_error err_{};
  codec_error version_err_{};
  bool ruri_read_ = false, seen_via_ = false;
  bool seen_from_ = false, seen_to_ = false, seen_callid_ = false, seen_cseq_ = false, seen_mf_ = false,
       seen_cl_ = false, seen_exp_ = false, seen_minexp_ = false, seen_etag_ = false, seen_ifm_ = false;
};

namespace {

bool version_ok(std::string_view v, bool& is_2_0) {
  if (v.size() == 7 && std::memcmp(v.data(), "SIP/2.0", 7) == 0) {  // nearly always
    is_2_0 = true;
    return true;
  }
  // SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT ("SIP" is case-insensitive)
  if (v.size() < 7 || !iequals(v.substr(0, 4), "SIP/")) return false;
  std::string_view n = v.substr(4);
  std::size_t dot = n.find('.');
  if (dot == 0 || dot == std::string_view::npos || dot + 1 == n.size()) return false;
  for (std::size_t i = 0; i < n.size(); ++i)
    if (i != dot && (n[i] < '0' || n[i] > '9')) return false;
  is_2_0 = n == "2.0";
  return true;
}

}  // namespace

SIPEVENTS_INLINE bool parser::start_line(std::string_view line) {
  const char* p = line.data();
  const char* end = p + line.size();
  // Nearly every start line is "SIP/2.0 ddd reason" or "METHOD SP uri SP SIP/2.0" with
  // single spaces. Those take a short path; anything else, or a URI that fails to
  // parse, takes the full one below, which also names the fault.
  if (line.size() >= 12) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    if (w == 0x20302e322f504953ull /* "SIP/2.0 " */ && is(p[8], c_digit) && is(p[9], c_digit) &&
        is(p[10], c_digit) && p[8] >= '1' && p[8] <= '6' && (line.size() == 11 || p[11] == ' ')) {
      m_.request_ = false;
      m_.version_ = sv(p, p + 7);
      m_.status_ = static_cast<std::uint16_t>((p[8] - '0') * 100 + (p[9] - '0') * 10 + (p[10] - '0'));
      m_.reason_ = line.size() > 12 ? sv(p + 12, end) : std::string_view{};
      return true;
    }
    std::memcpy(&w, end - 8, 8);
    if (w == 0x302e322f50495320ull /* " SIP/2.0" */) {
      // The method ends at the first SP; a known method proves it a token by matching.
      const unsigned sp = first16_mask(p, ' ');
      const char* t = sp ? p + __builtin_ctz(sp) : p;
      const method m = method_from(sv(p, t));
      if (t > p && (m != method::unknown || skip_class(p, t, c_token) == t) && t + 1 < end - 8 &&
          read_uri(sv(t + 1, end - 8), m_.ruri_)) {
        m_.request_ = true;
        m_.method_text_ = sv(p, t);
        m_.method_ = m;
        m_.version_ = sv(end - 7, end);
        ruri_read_ = true;
        return true;
      }
    }
  }
  if (line.size() >= 4 && iequals(line.substr(0, 4), "SIP/")) {
    m_.request_ = false;
    const char* v = p;
    while (p < end && *p != ' ') ++p;
    bool v20 = false;
    if (!version_ok(sv(v, p), v20)) { fail(errc::malformed_start_line); return false; }
    m_.version_ = sv(v, p);
    if (!v20) version_err_ = codec_error{errc::unsupported_version};
    if (p >= end) { fail(errc::malformed_start_line); return false; }
    ++p;
    const char* c = skip_class(p, end, c_digit);
    std::uint64_t code = 0;
    if (c - p != 3 || !parse_digits(sv(p, c), 999, code) || code < 100 || code > 699 || (c < end && *c != ' ')) {
      fail(errc::bad_status_code);
      return false;
    }
    m_.status_ = static_cast<std::uint16_t>(code);
    m_.reason_ = c < end ? sv(c + 1, end) : std::string_view{};
    return true;
  }
  m_.request_ = true;
  const char* t = skip_wide(p, end, c_token);
  if (t == p || t >= end || *t != ' ') { fail(t == p ? errc::bad_method : errc::malformed_start_line); return false; }
  m_.method_text_ = sv(p, t);
  m_.method_ = method_from(m_.method_text_);
  // RFC 4475 3.1.2.9/3.1.2.10 allow ignoring extra SP between and after the elements.
  p = t;
  while (p < end && *p == ' ') ++p;
  const char* u = p;
  p = find_padded(p, end, ' ');
  std::string_view ruri = sv(u, p);
  while (p < end && *p == ' ') ++p;
  const char* v = p;
  while (p < end && *p != ' ') ++p;
  std::string_view ver = sv(v, p);
  while (p < end && *p == ' ') ++p;
  bool v20 = false;
  if (ruri.empty() || p != end || !version_ok(ver, v20)) { fail(errc::malformed_start_line); return false; }
  m_.version_ = ver;
  if (!v20) version_err_ = codec_error{errc::unsupported_version};
  ruri_read_ = true;
  if (!read_uri(ruri, m_.ruri_)) { fail(errc::bad_request_uri); return false; }
  return true;
}

SIPEVENTS_INLINE void parser::header(hdr id, std::string_view name, std::string_view value) {
  auto bad = [&] { fail(errc::malformed_header, id, name); };
  switch (id) {
    case hdr::via: {
      seen_via_ = true;
      const char* e = value.data() + value.size();
      for (const char* q = value.data();; ++q) {
        if (!read_via_element(q, e, m_.vias_.emplace_back())) { bad(); break; }
        if (q == e) break;
      }
      break;
    }
    case hdr::from:
      if (once(seen_from_, id) && !read_name_addr(value, m_.from_)) bad();
      break;
    case hdr::to:
      if (once(seen_to_, id) && !read_name_addr(value, m_.to_)) bad();
      break;
    case hdr::call_id:
      if (once(seen_callid_, id)) {
        if (!read_call_id(value)) bad();
        else m_.call_id_ = value;
      }
      break;
    case hdr::cseq:
      if (once(seen_cseq_, id) && !read_cseq(value, m_.cseq_)) bad();
      break;
    case hdr::max_forwards:
      if (once(seen_mf_, id)) {
        std::uint8_t v = 0;
        if (!read_max_forwards(value, v)) bad();
        else m_.max_forwards_ = v;
      }
      break;
    case hdr::content_length:
      if (once(seen_cl_, id)) {
        std::uint64_t v = 0;
        if (!parse_digits(value, 0xFFFFFFFFull, v) || v > 0xFFFFFFFFull) fail(errc::bad_content_length, id);
        else m_.content_length_ = static_cast<std::uint32_t>(v);
      }
      break;
    case hdr::expires:
    case hdr::min_expires:
      if (once(id == hdr::expires ? seen_exp_ : seen_minexp_, id)) {
        std::uint32_t v = 0;
        if (!read_delta_seconds(value, v)) bad();
        else (id == hdr::expires ? m_.expires_ : m_.min_expires_) = v;
      }
      break;
    case hdr::event:
      if (once(m_.has_event_, id) && !read_event(value, m_.event_)) bad();
      break;
    case hdr::subscription_state:
      if (once(m_.has_substate_, id) && !read_subscription_state(value, m_.substate_)) bad();
      break;
    case hdr::content_type:
      if (once(m_.has_ctype_, id) && !read_media_type(value, m_.ctype_)) bad();
      break;
    case hdr::contact:
      if (value == "*") {
        if (m_.contact_star_ || !m_.contacts_.empty()) bad();
        m_.contact_star_ = true;
      } else {
        if (m_.contact_star_) bad();
        const char* e = value.data() + value.size();
        for (const char* q = value.data();; ++q) {
          if (!read_contact_element(q, e, m_.contacts_.emplace_back())) { bad(); break; }
          if (q == e) break;
        }
      }
      break;
    case hdr::sip_etag:
      if (once(seen_etag_, id)) {
        if (!read_token(value)) bad();
        else m_.etag_ = value;
      }
      break;
    case hdr::sip_if_match:
      if (once(seen_ifm_, id)) {
        if (!read_token(value)) bad();
        else m_.if_match_ = value;
      }
      break;
    default:
      break;
  }
}

SIPEVENTS_INLINE codec_error parser::run(bool framed) {
  codec_error e = read(framed);
  if (!ruri_read_) m_.ruri_ = uri{};
  if (!seen_from_) m_.from_ = name_addr{};
  if (!seen_to_) m_.to_ = name_addr{};
  return e;
}

SIPEVENTS_INLINE codec_error parser::read(bool framed) {
  const std::string_view raw = m_.raw_;
  if (raw.size() > lim_.max_message_size) return codec_error{errc::message_too_large};
  const char* p = raw.data();
  const char* end = p + raw.size();
  // RFC 3261 7.5: CRLFs before the start line are ignored.
  while (p < end && (*p == '\r' || *p == '\n')) ++p;
  if (p == end) return codec_error{errc::empty_message};

  // parse_bytes keeps k_padding bytes readable past `end`, so the scans below read
  // whole blocks and words without tail checks.
  const char* sl_end = find_lf(p);  // never past end: the LF sentinel
  const char* le = (sl_end > p && sl_end[-1] == '\r') ? sl_end - 1 : sl_end;
  // After a bad start line keep reading headers: a request whose Via, From, To,
  // Call-ID and CSeq are readable can still be answered with 400.
  bool start_ok = start_line(sv(p, le));
  p = sl_end < end ? sl_end + 1 : end;

  bool terminated = false;
  // Every line must end before this point (the header-block limit).
  const char* block_limit = raw.data() + std::min(lim_.max_header_block, raw.size());
  const std::size_t max_headers = lim_.max_headers;
  while (p < end) {
    const char* ls = p;
    if (static_cast<unsigned char>(*p) <= '\r') {  // a name never starts this low
      if (*p == '\n') { ++p; terminated = true; break; }
      if (*p == '\r' && end - p > 1 && p[1] == '\n') { p += 2; terminated = true; break; }
    }
    // header-name HCOLON: the name ends at the first colon, which must come before the
    // line ends. A name found in the registry has proven itself a token there.
    // The colon is looked for in the line's first 16 bytes with one compare: a line break
    // before it makes the name fail as a token, so it needs no test here. Longer names
    // take the colon-or-newline scan. `colon` may lie past `end` only when !has_colon.
    const char* colon;
    bool has_colon;
    if (unsigned m = first16_mask(ls, ':')) {
      colon = ls + __builtin_ctz(m);
      has_colon = colon < end;
    } else {
      colon = find_colon_or_newline(ls, end);
      has_colon = colon < end && *colon == ':';
    }
    // LWS between the name and the colon is rare: a registered name is looked up first
    // and the trim is tried only when that misses.
    const char* ne = colon;
    hdr id = hdr::unknown;
    if (has_colon) {
      id = lookup_name_padded(ls, static_cast<std::size_t>(ne - ls));
      if (id == hdr::unknown && static_cast<unsigned char>(ne[-1]) <= ' ') {
        while (ne > ls && (ne[-1] == ' ' || ne[-1] == '\t')) --ne;
        id = lookup_header_padded(ls, static_cast<std::size_t>(ne - ls));  // out of line: rare
      }
    }
    if (id == hdr::unknown && (!has_colon || ne == ls || skip_class(ls, ne, c_token) != ne)) {
      // Not "name:": a broken line. Skip it (with its folds) and keep reading.
      if (ne > end) ne = end;
      const char* eol = find_padded(ls, end, '\n');
      while (end - eol > 1 && (eol[1] == ' ' || eol[1] == '\t')) eol = find_padded(eol + 1, end, '\n');
      p = eol < end ? eol + 1 : end;
      if (p > block_limit) return codec_error{errc::header_block_too_large};
      fail(errc::malformed_header_line, hdr::unknown, sv(ls, skip_class(ls, ne, c_token)));
      continue;
    }
    // Value: leading LWS skipped, trailing CR/LF and whitespace trimmed.
    const char* vs = colon + 1;
    vs += *vs == ' ';  // the one SP after nearly every colon, without a branch
    if (static_cast<unsigned char>(*vs) <= ' ') vs = skip_lws(vs, end);
    const char* eol = find_lf(vs);  // never past end: an LF follows the bytes (parse_bytes)
    // A fold starts the next line with SP or HTAB; a header name never does.
    if (static_cast<unsigned char>(eol[1]) <= ' ')
      while (end - eol > 1 && (eol[1] == ' ' || eol[1] == '\t')) eol = find_padded(eol + 1, end, '\n');
    p = eol + (eol < end);
    if (p > block_limit) return codec_error{errc::header_block_too_large};
    const char* ve = eol;
    // ve[-1] is readable even when the value is empty: vs lies past the colon. The byte
    // before vs is never a CR (LWS ends before it with SP or HTAB), so the first test
    // needs no bound.
    ve -= ve[-1] == '\r';
    if (static_cast<unsigned char>(ve[-1]) <= ' ')
      while (ve > vs && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\n')) --ve;
    if (m_.headers_.size() >= max_headers) return codec_error{errc::too_many_headers};
    std::string_view name = sv(ls, ne), value = sv(vs, ve);
    m_.headers_.push_back(header_field{id, name, value});
    if (id != hdr::unknown) header(id, name, value);
  }
  if (!terminated && framed) fail(errc::malformed_header_line);

  const std::size_t avail = static_cast<std::size_t>(end - p);
  if (m_.content_length_) {
    if (*m_.content_length_ > avail) fail(errc::body_truncated, hdr::content_length);
    else m_.body_ = sv(p, p + *m_.content_length_);
  } else if (framed) {
    fail(errc::missing_content_length, hdr::content_length);
  } else if (!seen_cl_) {
    m_.body_ = sv(p, end);  // RFC 3261 18.3: no Content-Length on UDP means "to the end"
  }

  // RFC 4475 3.3.1: a request without Call-ID, From or To still gets its 400 when
  // the Via routes the answer and the CSeq names the transaction.
  m_.can_respond_ = m_.request_ && !m_.method_text_.empty() && seen_via_ && seen_cseq_;
  if (!start_ok) return err_;
  if (!seen_via_) fail(errc::missing_header, hdr::via);
  if (!seen_from_) fail(errc::missing_header, hdr::from);
  if (!seen_to_) fail(errc::missing_header, hdr::to);
  if (!seen_callid_) fail(errc::missing_header, hdr::call_id);
  if (!seen_cseq_) fail(errc::missing_header, hdr::cseq);
  // Known methods compare by id; extension methods by their text.
  if (m_.request_ && !err_ &&
      (m_.method_ != method::unknown ? m_.cseq_.id != m_.method_ : m_.cseq_.method_text != m_.method_text_))
    fail(errc::cseq_method_mismatch, hdr::cseq);
  if (version_err_) return version_err_;
  return err_;
}

// ---- message -----------------------------------------------------------------------

SIPEVENTS_INLINE void message::reset() noexcept {
  reset_for_parse();
  ruri_ = uri{};
  from_ = to_ = name_addr{};
}

SIPEVENTS_INLINE void message::reset_for_parse() noexcept {
  // The request URI, From and To are cleared by the parser when it does not read them.
  request_ = true;
  method_ = method::unknown;
  method_text_ = version_ = reason_ = body_ = call_id_ = etag_ = if_match_ = {};
  status_ = 0;
  headers_.clear();
  vias_.clear();
  contacts_.clear();
  cseq_ = {};
  // Assigned, not reset(): a trivially copyable optional copies with no test.
  max_forwards_ = std::optional<std::uint8_t>();
  content_length_ = expires_ = min_expires_ = std::optional<std::uint32_t>();
  has_event_ = has_substate_ = has_ctype_ = contact_star_ = can_respond_ = false;
}

namespace {
const parse_limits k_no_limits{~std::size_t{0}, ~std::size_t{0}, ~std::size_t{0}, ~std::size_t{0}};
}

SIPEVENTS_INLINE codec_error parse_bytes(std::string_view bytes, message& out, const parse_limits& limits, bool framed) {
  if (bytes.size() > limits.max_message_size) {
    out.reset();
    return codec_error{errc::message_too_large};
  }
  out.reset_for_parse();
  out.raw_.assign(bytes.data(), bytes.size(), k_padding, '\n');
  return parser(out, limits).run(framed);
}

SIPEVENTS_INLINE void message::reparse() {
  reset_for_parse();
  raw_.pad(k_padding, '\n');
  parser(*this, k_no_limits).run(false);
}

SIPEVENTS_INLINE void message::reparse_from(const message& o) {
  raw_.assign(o.raw_.data(), o.raw_.size(), k_padding, '\n');
  reparse();
}

SIPEVENTS_INLINE message::message(const message& o) { reparse_from(o); }
SIPEVENTS_INLINE message& message::operator=(const message& o) {
  if (this != &o) reparse_from(o);
  return *this;
}
SIPEVENTS_INLINE message::message(message&& o) noexcept { *this = std::move(o); }
SIPEVENTS_INLINE message& message::operator=(message&& o) noexcept {
  if (this == &o) return *this;
  // The byte buffer moves with its address, so every view stays valid.
  raw_ = std::move(o.raw_);
  request_ = o.request_;
  method_ = o.method_;
  method_text_ = o.method_text_;
  version_ = o.version_;
  reason_ = o.reason_;
  body_ = o.body_;
  ruri_ = o.ruri_;
  status_ = o.status_;
  headers_ = std::move(o.headers_);
  vias_ = std::move(o.vias_);
  contacts_ = std::move(o.contacts_);
  from_ = o.from_;
  to_ = o.to_;
  call_id_ = o.call_id_;
  cseq_ = o.cseq_;
  max_forwards_ = o.max_forwards_;
  content_length_ = o.content_length_;
  expires_ = o.expires_;
  min_expires_ = o.min_expires_;
  event_ = o.event_;
  substate_ = o.substate_;
  ctype_ = o.ctype_;
  etag_ = o.etag_;
  if_match_ = o.if_match_;
  has_event_ = o.has_event_;
  has_substate_ = o.has_substate_;
  has_ctype_ = o.has_ctype_;
  contact_star_ = o.contact_star_;
  can_respond_ = o.can_respond_;
  o.raw_.clear();
  o.reset();
  return *this;
}

SIPEVENTS_INLINE codec_error message::replace(std::string_view part, std::string_view with, const parse_limits& limits) {
  std::size_t at = static_cast<std::size_t>(part.data() - raw_.data());
  std::string next;
  const std::string_view raw = raw_;
  next.reserve(raw.size() - part.size() + with.size());
  next.append(raw.substr(0, at)).append(with).append(raw.substr(at + part.size()));
  // Content-Length must still describe the body: only header text may be replaced.
  return parse_bytes(next, *this, limits, false);
}

SIPEVENTS_INLINE codec_error message::add_header(std::string_view name, std::string_view value, bool last,
                                const parse_limits& limits) {
  std::string line;
  line.append(name).append(": ").append(value).append("\r\n");
  const std::string_view raw = raw_;
  std::size_t at;
  if (last) {
    std::size_t b = raw.find("\r\n\r\n");
    at = b == std::string_view::npos ? raw.size() : b + 2;
  } else {
    std::size_t b = raw.find('\n');
    at = b == std::string_view::npos ? raw.size() : b + 1;
  }
  std::string next;
  next.reserve(raw.size() + line.size());
  next.append(raw.substr(0, at)).append(line).append(raw.substr(at));
  return parse_bytes(next, *this, limits, false);
}

SIPEVENTS_INLINE const header_field* message::find(hdr id) const noexcept {
  for (const auto& h : headers_)
    if (h.id == id) return &h;
  return nullptr;
}

SIPEVENTS_INLINE const header_field* message::find(std::string_view name) const noexcept {
  hdr id = lookup_header(name);
  if (id != hdr::unknown) return find(id);
  for (const auto& h : headers_)
    if (h.id == hdr::unknown && iequals(h.name, name)) return &h;
  return nullptr;
}

SIPEVENTS_INLINE std::size_t message::count(hdr id) const noexcept {
  std::size_t n = 0;
  for (const auto& h : headers_) n += h.id == id;
  return n;
}

SIPEVENTS_INLINE void message::serialize_to(std::string& out) const {
  out.reserve(out.size() + raw_.size() + 32);
  if (request_) {
    out.append(method_text_).append(" ").append(ruri_.text).append(" SIP/2.0\r\n");
  } else {
    char code[4] = {char('0' + status_ / 100), char('0' + status_ / 10 % 10), char('0' + status_ % 10), 0};
    out.append("SIP/2.0 ").append(code, 3).append(" ").append(reason_).append("\r\n");
  }
  for (const auto& h : headers_) {
    if (h.id == hdr::content_length) continue;
    out.append(h.id == hdr::unknown ? h.name : canonical_name(h.id)).append(": ").append(h.value).append("\r\n");
  }
  out.append("Content-Length: ").append(std::to_string(body_.size())).append("\r\n\r\n").append(body_);
}

SIPEVENTS_INLINE std::string message::serialize() const {
  std::string s;
  serialize_to(s);
  return s;
}

SIPEVENTS_INLINE codec_error parse_datagram(std::string_view bytes, message& out, const parse_limits& limits) {
  return parse_bytes(bytes, out, limits, false);
}

SIPEVENTS_INLINE codec_error parse_framed(std::string_view bytes, message& out, const parse_limits& limits) {
  return parse_bytes(bytes, out, limits, true);
}

// ---- builder -----------------------------------------------------------------------

SIPEVENTS_INLINE message_builder message_builder::request(std::string_view method, std::string_view request_uri) {
  message_builder b;
  b.head_.append(method).append(" ").append(request_uri).append(" SIP/2.0\r\n");
  return b;
}

SIPEVENTS_INLINE message_builder message_builder::response(std::uint16_t status, std::string_view reason) {
  message_builder b;
  b.head_.append("SIP/2.0 ").append(std::to_string(status)).append(" ").append(reason).append("\r\n");
  return b;
}

SIPEVENTS_INLINE message_builder message_builder::response_to(const message& req, std::uint16_t status, std::string_view reason,
                                             std::string_view to_tag) {
  message_builder b = response(status, reason);
  for (const auto& h : req.headers()) {
    switch (h.id) {
      case hdr::via:
      case hdr::from:
      case hdr::call_id:
      case hdr::cseq:
        b.header(h.id, h.value);
        break;
      case hdr::to:
        if (status > 100 && !to_tag.empty() && req.to().tag.empty())
          b.head_.append("To: ").append(h.value).append(";tag=").append(to_tag).append("\r\n");
        else
          b.header(h.id, h.value);
        break;
      default:
        break;
    }
  }
  return b;
}

SIPEVENTS_INLINE message_builder& message_builder::header(std::string_view name, std::string_view value) {
  head_.append(name).append(": ").append(value).append("\r\n");
  return *this;
}

SIPEVENTS_INLINE bool message_builder::has(std::string_view name) const noexcept {
  // head_ is the start line then one "Name: value" line per header, as header() wrote.
  std::string_view h = head_;
  for (std::size_t eol = h.find("\r\n"); eol != std::string_view::npos; ) {
    std::size_t start = eol + 2;
    eol = h.find("\r\n", start);
    std::string_view line = h.substr(start, eol == std::string_view::npos ? std::string_view::npos : eol - start);
    std::size_t colon = line.find(':');
    if (colon != std::string_view::npos && iequals(trim(line.substr(0, colon)), name)) return true;
  }
  return false;
}

SIPEVENTS_INLINE message_builder& message_builder::body(std::string_view content_type, std::string_view bytes) {
  if (!content_type.empty()) header(hdr::content_type, content_type);
  body_.assign(bytes);
  return *this;
}

SIPEVENTS_INLINE std::string message_builder::text() const {
  std::string s = head_;
  s.append("Content-Length: ").append(std::to_string(body_.size())).append("\r\n\r\n").append(body_);
  return s;
}

SIPEVENTS_INLINE codec_error message_builder::build(message& out, const parse_limits& limits) const {
  return parse_framed(text(), out, limits);
}

}  // namespace sipevents::message

SIPEVENTS_IMPL_END
