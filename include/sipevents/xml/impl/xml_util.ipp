#pragma once
#include "sipevents/config.hpp"
SIPEVENTS_IMPL_BEGIN
#include "xml_util.hpp"

#include <charconv>
#include <cstring>

namespace sipevents::xml {

SIPEVENTS_INLINE void escape(std::string& out, std::string_view s, bool in_attr) {
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': if (in_attr) out += "&quot;"; else out += c; break;
      // A parser turns a raw CR into LF, and raw white space in an attribute into a
      // space: written as references they come back as they were.
      case '\r': out += "&#13;"; break;
      case '\n': if (in_attr) out += "&#10;"; else out += c; break;
      case '\t': if (in_attr) out += "&#9;"; else out += c; break;
      default: out += c;
    }
  }
}

SIPEVENTS_INLINE void attr(std::string& out, std::string_view name, std::string_view value) {
  out.append(" ").append(name).append("=\"");
  escape(out, value, true);
  out.push_back('"');
}

SIPEVENTS_INLINE std::string_view local_name(const char* qname) {
  std::string_view n(qname);
  std::size_t c = n.find(':');
  return c == std::string_view::npos ? n : n.substr(c + 1);
}

SIPEVENTS_INLINE std::string_view namespace_of(const tinyxml2::XMLElement* e) {
  std::string_view n(e->Name());
  std::size_t c = n.find(':');
  std::string want = c == std::string_view::npos ? "xmlns" : "xmlns:" + std::string(n.substr(0, c));
  for (const tinyxml2::XMLNode* p = e; p; p = p->Parent()) {
    const tinyxml2::XMLElement* pe = p->ToElement();
    if (!pe) break;
    if (const char* v = pe->Attribute(want.c_str())) return v;
  }
  return {};
}

SIPEVENTS_INLINE bool is(const tinyxml2::XMLElement* e, std::string_view ns, std::string_view name) {
  return local_name(e->Name()) == name && namespace_of(e) == ns;
}

namespace {
// Declares on `c` (the copy) every prefix used by `orig` or its descendants that no
// element inside the copy declares.
void declare_prefixes(const tinyxml2::XMLElement* orig, tinyxml2::XMLElement* c, tinyxml2::XMLElement* root) {
  auto need = [&](std::string_view qname) {
    std::size_t colon = qname.find(':');
    std::string prefix = colon == std::string_view::npos ? "" : std::string(qname.substr(0, colon));
    if (prefix == "xml" || prefix == "xmlns") return;
    std::string decl = prefix.empty() ? "xmlns" : "xmlns:" + prefix;
    for (const tinyxml2::XMLNode* p = c; p; p = p->Parent()) {
      const tinyxml2::XMLElement* pe = p->ToElement();
      if (!pe) break;
      if (pe->Attribute(decl.c_str())) return;
      if (pe == root) break;
    }
    // Resolve in the original document.
    for (const tinyxml2::XMLNode* p = orig; p; p = p->Parent()) {
      const tinyxml2::XMLElement* pe = p->ToElement();
      if (!pe) break;
      if (const char* v = pe->Attribute(decl.c_str())) {
        root->SetAttribute(decl.c_str(), v);
        return;
      }
    }
    // An unprefixed name in no namespace stays in none inside a document with a
    // default namespace (fuzz_presence found it).
    if (prefix.empty()) root->SetAttribute("xmlns", "");
  };
  need(orig->Name());
  for (const tinyxml2::XMLAttribute* a = orig->FirstAttribute(); a; a = a->Next()) {
    std::string_view n(a->Name());
    if (n.find(':') != std::string_view::npos && n.substr(0, 6) != "xmlns:") need(n);
  }
  const tinyxml2::XMLElement* oc = orig->FirstChildElement();
  tinyxml2::XMLElement* cc = c->FirstChildElement();
  for (; oc && cc; oc = oc->NextSiblingElement(), cc = cc->NextSiblingElement()) declare_prefixes(oc, cc, root);
}
}  // namespace

SIPEVENTS_INLINE std::string print(const tinyxml2::XMLElement* e) {
  tinyxml2::XMLDocument copy;
  tinyxml2::XMLElement* c = e->DeepClone(&copy)->ToElement();
  copy.InsertFirstChild(c);
  declare_prefixes(e, c, c);
  tinyxml2::XMLPrinter p(nullptr, true);
  copy.Accept(&p);
  std::string s(p.CStr());
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

SIPEVENTS_INLINE bool number(const char* s, std::optional<std::uint32_t>& out) {
  if (!s) return true;
  std::uint32_t v = 0;
  const char* end = s + std::strlen(s);
  auto r = std::from_chars(s, end, v);
  if (r.ec != std::errc() || r.ptr != end) return false;
  out = v;
  return true;
}

SIPEVENTS_INLINE std::string undeclared_prefix(const tinyxml2::XMLElement* e) {
  auto bound = [e](std::string_view qname, const tinyxml2::XMLElement* at) -> std::string {
    const std::size_t colon = qname.find(':');
    if (colon == std::string_view::npos) return {};
    const std::string prefix(qname.substr(0, colon));
    if (prefix == "xml" || prefix == "xmlns") return {};
    const std::string decl = "xmlns:" + prefix;
    for (const tinyxml2::XMLNode* p = at; p; p = p->Parent()) {
      const tinyxml2::XMLElement* pe = p->ToElement();
      if (!pe) break;
      if (pe->Attribute(decl.c_str())) return {};
    }
    (void)e;
    return prefix;
  };
  // Depth first without recursion: a deep document cannot exhaust the stack.
  const tinyxml2::XMLElement* cur = e;
  while (cur) {
    if (std::string p = bound(cur->Name(), cur); !p.empty()) return p;
    for (const tinyxml2::XMLAttribute* a = cur->FirstAttribute(); a; a = a->Next())
      if (std::string p = bound(a->Name(), cur); !p.empty()) return p;
    if (const tinyxml2::XMLElement* c = cur->FirstChildElement()) {
      cur = c;
      continue;
    }
    while (cur && cur != e && !cur->NextSiblingElement()) cur = cur->Parent() ? cur->Parent()->ToElement() : nullptr;
    if (!cur || cur == e) break;
    cur = cur->NextSiblingElement();
  }
  return {};
}

SIPEVENTS_INLINE std::string text_of(const tinyxml2::XMLElement* e) {
  const char* t = e->GetText();
  std::string s = t ? t : "";
  std::size_t b = s.find_first_not_of(" \t\r\n");
  std::size_t en = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, en - b + 1);
}

SIPEVENTS_INLINE void keep_attributes(const tinyxml2::XMLElement* e, std::initializer_list<std::string_view> known,
                     std::vector<std::pair<std::string, std::string>>& out) {
  for (const tinyxml2::XMLAttribute* a = e->FirstAttribute(); a; a = a->Next()) {
    std::string_view n(a->Name());
    if (n == "xmlns" || n.substr(0, 6) == "xmlns:") continue;
    bool k = false;
    for (auto x : known) k = k || n == x;
    if (!k) out.emplace_back(std::string(n), a->Value());
  }
}

SIPEVENTS_INLINE const tinyxml2::XMLElement* parse_root(tinyxml2::XMLDocument& doc, std::string_view text, std::string_view ns,
                                       std::string_view name, std::string_view what, const failure& fail) {
  if (doc.Parse(text.data(), text.size()) != tinyxml2::XML_SUCCESS) {
    fail(std::string("not XML: ") + doc.ErrorStr());
    return nullptr;
  }
  const tinyxml2::XMLElement* root = doc.RootElement();
  if (!root || !is(root, ns, name)) {
    fail("root is not " + std::string(what));
    return nullptr;
  }
  return root;
}

SIPEVENTS_INLINE bool version_and_state(const tinyxml2::XMLElement* root, std::string_view what, std::uint32_t& version, bool& full,
                       const failure& fail, const char* alt_state) {
  std::optional<std::uint32_t> v;
  if (!number(root->Attribute("version"), v) || !v) return fail(std::string(what) + " without a version");
  version = *v;
  const char* state = root->Attribute("state");
  if (!state && alt_state) state = root->Attribute(alt_state);
  const std::string_view st = state ? state : "";
  if (st != "full" && st != "partial") return fail(std::string(what) + " state must be full or partial");
  full = st == "full";
  return true;
}

}  // namespace sipevents::xml

SIPEVENTS_IMPL_END
