#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "sipevents/presence/pidf_diff.hpp"

#include <algorithm>
#include <type_traits>
#include <unordered_set>

#include "sipevents/xml/impl/xml_util.hpp"

namespace sipevents::presence {

namespace {

using DXE = tinyxml2::XMLElement;

void diff_root_open(std::string& out, std::string_view root, const presence_document& a, const presence_document& b,
                    std::uint32_t version) {
  out.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<p:").append(root);
  xml::attr(out, "xmlns", pidf_ns);
  xml::attr(out, "xmlns:p", pidf_diff_ns);
  if (!a.persons.empty() || !b.persons.empty()) {
    xml::attr(out, "xmlns:dm", dm_ns);
    xml::attr(out, "xmlns:rpid", rpid_ns);
  }
  xml::attr(out, "entity", b.entity);
  xml::attr(out, "version", std::to_string(version));
  out.append(">\n");
}

// An id goes between single quotes in a selector: one holding a quote cannot.
bool quotable(const std::string& id) { return !id.empty() && id.find_first_of("'\"") == std::string::npos; }

std::string selector(bool person, const std::string& id) {
  return std::string(person ? "*/dm:person[@id='" : "*/tuple[@id='") + id + "']";
}

void write_item(std::string& out, const tuple& t) { detail::write_tuple(out, t); }
void write_item(std::string& out, const person& p) { detail::write_person(out, p); }

/// Appends the operations taking `from` to `to` (tuples or persons); false when the
/// change is not one of whole items kept in order with new ones at the end.
template <class T>
bool diff_items(const std::vector<T>& from, const std::vector<T>& to, bool person, bool may_append, std::string& ops) {
  std::unordered_set<std::string> in_from, in_to;
  for (const T& x : from)
    if (!quotable(x.id) || !in_from.insert(x.id).second) return false;
  for (const T& x : to)
    if (!quotable(x.id) || !in_to.insert(x.id).second) return false;
  std::vector<const T*> kept_from, kept_to;
  for (const T& x : from)
    if (in_to.count(x.id)) kept_from.push_back(&x);
  for (const T& x : to)
    if (in_from.count(x.id)) kept_to.push_back(&x);
  // Kept items first, in the same order; the new ones after them.
  for (std::size_t i = 0; i < kept_to.size(); ++i)
    if (kept_to[i] != &to[i] || kept_to[i]->id != kept_from[i]->id) return false;
  for (const T& x : from)
    if (!in_to.count(x.id)) ops.append("  <p:remove sel=\"").append(selector(person, x.id)).append("\"/>\n");
  for (std::size_t i = 0; i < kept_to.size(); ++i) {
    const T& f = *kept_from[i];
    const T& t = *kept_to[i];
    if (f == t) continue;
    if constexpr (std::is_same_v<T, tuple>) {
      tuple only_basic = f;
      only_basic.basic = t.basic;
      if (only_basic == t && f.basic != basic_status::none && t.basic != basic_status::none) {
        ops.append("  <p:replace sel=\"").append(selector(false, t.id)).append("/status/basic/text()\">");
        ops.append(to_string(t.basic)).append("</p:replace>\n");
        continue;
      }
    }
    ops.append("  <p:replace sel=\"").append(selector(person, t.id)).append("\">\n");
    write_item(ops, t);
    ops.append("  </p:replace>\n");
  }
  if (kept_to.size() < to.size()) {
    if (!kept_to.empty()) {
      ops.append("  <p:add sel=\"").append(selector(person, kept_to.back()->id)).append("\" pos=\"after\">\n");
    } else if (!person) {
      ops.append("  <p:add sel=\"*\" pos=\"prepend\">\n");  // tuples lead a PIDF document
    } else {
      if (!may_append) return false;  // persons would land after the extensions
      ops.append("  <p:add sel=\"*\">\n");
    }
    for (std::size_t i = kept_to.size(); i < to.size(); ++i) write_item(ops, to[i]);
    ops.append("  </p:add>\n");
  }
  return true;
}

/// The namespace `prefix` ("" for the default one) stands for at `e`.
std::string_view prefix_namespace(const DXE* e, std::string_view prefix) {
  const std::string want = prefix.empty() ? "xmlns" : "xmlns:" + std::string(prefix);
  for (const tinyxml2::XMLNode* n = e; n; n = n->Parent()) {
    const DXE* pe = n->ToElement();
    if (!pe) break;
    if (const char* v = pe->Attribute(want.c_str())) return v;
  }
  return {};
}

/// "pfx:name" -> is it `name` in `ns` (RFC 5261: an unprefixed name is in the default
/// namespace of the diff document).
bool names(const DXE* e, std::string_view qname, std::string_view ns, std::string_view name) {
  const std::size_t colon = qname.find(':');
  const std::string_view prefix = colon == std::string_view::npos ? std::string_view{} : qname.substr(0, colon);
  const std::string_view local = colon == std::string_view::npos ? qname : qname.substr(colon + 1);
  return local == name && prefix_namespace(e, prefix) == ns;
}

struct selection {
  bool document = false;  // the <presence> element itself
  bool person = false;
  bool basic_text = false;  // .../status/basic/text()
  std::string id;
};

/// Reads the selectors this model can act on: the document ("*", "presence"), a tuple
/// or person by id, and a tuple's basic text.
bool read_selector(const DXE* op, std::string_view sel, selection& out, std::string& why) {
  why = "selector not understood: " + std::string(sel);
  if (!sel.empty() && sel.front() == '/') sel.remove_prefix(1);
  const std::size_t slash = sel.find('/');
  const std::string_view first = sel.substr(0, slash);
  if (first != "*" && !names(op, first, pidf_ns, "presence")) return false;
  if (slash == std::string_view::npos) {
    out.document = true;
    return true;
  }
  std::string_view rest = sel.substr(slash + 1);
  const std::size_t open = rest.find("[@id=");
  if (open == std::string_view::npos || open + 6 > rest.size()) return false;
  const std::string_view step = rest.substr(0, open);
  if (names(op, step, pidf_ns, "tuple")) out.person = false;
  else if (names(op, step, dm_ns, "person")) out.person = true;
  else return false;
  const char quote = rest[open + 5];
  if (quote != '\'' && quote != '"') return false;
  const std::size_t close = rest.find(quote, open + 6);
  if (close == std::string_view::npos || rest.substr(close + 1, 1) != "]") return false;
  out.id = std::string(rest.substr(open + 6, close - open - 6));
  rest.remove_prefix(close + 2);
  if (rest.empty()) return !out.id.empty();
  if (out.person || rest != "/status/basic/text()") return false;
  out.basic_text = true;
  return !out.id.empty();
}

template <class T>
typename std::vector<T>::iterator find_id(std::vector<T>& v, const std::string& id) {
  return std::find_if(v.begin(), v.end(), [&](const T& x) { return x.id == id; });
}

template <class T>
bool apply_items(std::vector<T>& v, const pidf_op& op, const std::vector<T>& items, std::string& why) {
  using K = pidf_op::kind;
  using P = pidf_op::position;
  if (op.id.empty()) {  // the document: first or last of their kind
    v.insert(op.pos == P::prepend ? v.begin() : v.end(), items.begin(), items.end());
    return true;
  }
  auto it = find_id(v, op.id);
  if (it == v.end()) {
    why = std::string(op.on_person ? "person " : "tuple ") + op.id + " is not in the state held";
    return false;
  }
  switch (op.what) {
    case K::add: v.insert(op.pos == P::before ? it : it + 1, items.begin(), items.end()); return true;
    case K::replace: *it = items.front(); return true;
    case K::remove: v.erase(it); return true;
    case K::basic: break;
  }
  return false;
}

}  // namespace

SIPEVENTS_INLINE std::string encode_pidf_full(const presence_document& doc, std::uint32_t version) {
  std::string out;
  diff_root_open(out, "pidf-full", doc, doc, version);
  detail::write_children(out, doc);
  out.append("</p:pidf-full>\n");
  return out;
}

SIPEVENTS_INLINE std::size_t pidf_full_size(std::size_t pidf_size, std::uint32_t version) {
  // <presence ...> ... </presence> against <p:pidf-full ... xmlns:p="..." version="N"> ... </p:pidf-full>
  constexpr std::string_view open_full = "<p:pidf-full", open_pidf = "<presence";
  constexpr std::string_view close_full = "</p:pidf-full>", close_pidf = "</presence>";
  return pidf_size + (open_full.size() - open_pidf.size()) + (close_full.size() - close_pidf.size()) +
         std::string_view(" xmlns:p=\"\"").size() + pidf_diff_ns.size() +
         std::string_view(" version=\"\"").size() + std::to_string(version).size();
}

SIPEVENTS_INLINE std::optional<std::string> encode_pidf_diff(const presence_document& from, const presence_document& to,
                                                             std::uint32_t version) {
  if (from.entity != to.entity || from.notes != to.notes || from.extensions != to.extensions) return std::nullopt;
  std::string ops;
  if (!diff_items(from.tuples, to.tuples, false, true, ops)) return std::nullopt;
  if (!diff_items(from.persons, to.persons, true, to.extensions.empty(), ops)) return std::nullopt;
  std::string out;
  diff_root_open(out, "pidf-diff", from, to, version);
  out.append(ops).append("</p:pidf-diff>\n");
  return out;
}

SIPEVENTS_INLINE bool decode_pidf_update(std::string_view text, pidf_update& out, std::string* error) {
  xml::failure fail{error};
  out = pidf_update{};
  tinyxml2::XMLDocument d;
  if (d.Parse(text.data(), text.size()) != tinyxml2::XML_SUCCESS)
    return fail(std::string("not XML: ") + (d.ErrorStr() ? d.ErrorStr() : "parse error"));
  const DXE* root = d.RootElement();
  if (!root || xml::namespace_of(root) != pidf_diff_ns ||
      (xml::local_name(root->Name()) != "pidf-full" && xml::local_name(root->Name()) != "pidf-diff"))
    return fail("root is not pidf-full or pidf-diff");
  out.full = xml::local_name(root->Name()) == "pidf-full";
  if (std::string p = xml::undeclared_prefix(root); !p.empty()) return fail("undeclared namespace prefix " + p);
  const char* entity = root->Attribute("entity");
  if (!entity) return fail(std::string(xml::local_name(root->Name())) + " without entity");
  out.entity = entity;
  std::optional<std::uint32_t> version;
  if (!xml::number(root->Attribute("version"), version) || !version)
    return fail(std::string(xml::local_name(root->Name())) + " without a numeric version");
  out.version = *version;
  if (out.full) {
    out.document.entity = out.entity;
    return detail::read_children(root, out.document, error);
  }
  for (const DXE* c = root->FirstChildElement(); c; c = c->NextSiblingElement()) {
    using K = pidf_op::kind;
    const std::string_view name = xml::local_name(c->Name());
    if (xml::namespace_of(c) != pidf_diff_ns || (name != "add" && name != "replace" && name != "remove"))
      return fail("unknown operation <" + std::string(c->Name()) + ">");
    const char* sel = c->Attribute("sel");
    if (!sel) return fail("<" + std::string(c->Name()) + "> without sel");
    selection s;
    std::string why;
    if (!read_selector(c, sel, s, why)) return fail(why);
    pidf_op op;
    op.on_person = s.person;
    op.id = s.id;
    op.what = name == "add" ? K::add : name == "replace" ? K::replace : K::remove;
    if (s.document && op.what != K::add) return fail(std::string(name) + " of the whole document");
    if (s.basic_text) {
      if (op.what != K::replace) return fail(std::string(name) + " of a basic status");
      const std::string b = xml::text_of(c);
      if (b == "open") op.basic = basic_status::open;
      else if (b == "closed") op.basic = basic_status::closed;
      else return fail("basic must be open or closed, not \"" + b + "\"");
      op.what = K::basic;
      out.ops.push_back(std::move(op));
      continue;
    }
    if (const char* pos = c->Attribute("pos")) {
      const std::string_view p = pos;
      if (op.what != K::add) return fail("pos on " + std::string(name));
      if (p == "before" && !s.document) op.pos = pidf_op::position::before;
      else if (p == "after" && !s.document) op.pos = pidf_op::position::after;
      else if (p == "prepend" && s.document) op.pos = pidf_op::position::prepend;
      else return fail("pos=\"" + std::string(p) + "\" not understood for " + sel);
    } else if (op.what == K::add && !s.document) {
      return fail(std::string("add inside a ") + (s.person ? "person" : "tuple"));
    }
    if (op.what != K::remove) {
      presence_document items;
      if (!detail::read_children(c, items, error)) return false;
      if (!items.notes.empty() || !items.extensions.empty())
        return fail(std::string(name) + " of something other than tuples or persons");
      const std::size_t n = items.tuples.size() + items.persons.size();
      if (n == 0) return fail(std::string(name) + " with nothing in it");
      if (op.what == K::replace && (n != 1 || (s.person ? items.persons.size() : items.tuples.size()) != 1))
        return fail(std::string("replace of a ") + (s.person ? "person" : "tuple") + " by something else");
      if (op.what == K::add && !s.document && (s.person ? !items.tuples.empty() : !items.persons.empty()))
        return fail("add beside a " + std::string(s.person ? "person" : "tuple") + " of another kind");
      op.tuples = std::move(items.tuples);
      op.persons = std::move(items.persons);
    }
    out.ops.push_back(std::move(op));
  }
  return true;
}

SIPEVENTS_INLINE pidf_view::result pidf_view::apply(const pidf_update& u, std::string* why) {
  std::string reason;
  auto need_full = [&](std::string r) {
    if (why) *why = std::move(r);
    return result::need_full;
  };
  if (u.full) {
    doc_ = u.document;
    version_ = u.version;
    return result::applied;
  }
  if (!version_) return need_full("a partial document before any full state");
  if (u.version != *version_ + 1)
    return need_full("version " + std::to_string(u.version) + " after " + std::to_string(*version_));
  if (u.entity != doc_.entity) return need_full("a partial document for another entity");
  presence_document next = doc_;
  for (const pidf_op& op : u.ops) {
    bool ok = false;
    if (op.what == pidf_op::kind::basic) {
      auto it = find_id(next.tuples, op.id);
      ok = it != next.tuples.end();
      if (ok) it->basic = op.basic;
      else reason = "tuple " + op.id + " is not in the state held";
    } else if (op.id.empty()) {
      ok = apply_items(next.tuples, op, op.tuples, reason) && apply_items(next.persons, op, op.persons, reason);
    } else if (op.on_person) {
      ok = apply_items(next.persons, op, op.persons, reason);
    } else {
      ok = apply_items(next.tuples, op, op.tuples, reason);
    }
    if (!ok) return need_full(std::move(reason));
  }
  doc_ = std::move(next);
  version_ = u.version;
  return result::applied;
}

}  // namespace sipevents::presence

SIPEVENTS_IMPL_END
