// Test helpers: fixture files from ../shared.
#pragma once
#include <catch2/catch.hpp>
#include <unistd.h>
#if defined(__unix__)
#include <sys/mman.h>
#endif

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace testsupport {

/// A small deterministic generator for the differential tests.
struct lcg {
  std::uint32_t seed;
  std::uint32_t operator()() {
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
  }
};

/// `prefix` and then `len` characters: from `common` except one time in `odds`,
/// when from `rare`. Mostly common characters keep many generated inputs valid.
inline std::string random_text(lcg& next, std::string prefix, std::size_t len, std::string_view common,
                               std::string_view rare, std::uint32_t odds) {
  for (std::size_t j = 0; j < len; ++j)
    prefix.push_back(next() % odds ? common[next() % common.size()] : rare[next() % rare.size()]);
  return prefix;
}

#if defined(__unix__)
/// A page followed by an unmapped (PROT_NONE) one: text placed to end just before it
/// shows whether a reader touches bytes past the end of its view.
class guard_page {
 public:
  static constexpr std::size_t page = 4096;
  guard_page() {
    void* map = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(map != MAP_FAILED);
    base_ = static_cast<char*>(map);
    REQUIRE(mprotect(base_ + page, page, PROT_NONE) == 0);
  }
  ~guard_page() { munmap(base_, 2 * page); }
  guard_page(const guard_page&) = delete;
  guard_page& operator=(const guard_page&) = delete;
  /// A copy of `text` ending `pad` bytes before the unmapped page.
  std::string_view ending(std::string_view text, std::size_t pad) {
    char* at = base_ + page - pad - text.size();
    std::copy(text.begin(), text.end(), at);
    return {at, text.size()};
  }

 private:
  char* base_ = nullptr;
};
#endif

/// Two pages of 'x' for the block-read tests: text copied to the start of the first
/// page may take a parser's one-block path; text copied to end just before the second
/// page starts cannot (its block would cross into the next page).
class two_pages {
 public:
  static constexpr std::size_t page = 4096;
  two_pages() : buf_(static_cast<char*>(std::aligned_alloc(page, 2 * page))) {
    REQUIRE(buf_);
    std::fill(buf_, buf_ + 2 * page, 'x');
  }
  ~two_pages() { std::free(buf_); }
  two_pages(const two_pages&) = delete;
  two_pages& operator=(const two_pages&) = delete;
  std::string_view at_start(std::string_view text) {
    std::copy(text.begin(), text.end(), buf_);
    return {buf_, text.size()};
  }
  std::string_view at_page_end(std::string_view text) {
    char* at = buf_ + page - text.size();
    std::copy(text.begin(), text.end(), at);
    return {at, text.size()};
  }

 private:
  char* buf_;
};

inline std::filesystem::path shared_dir() { return SIPEVENTS_SHARED_DIR; }

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::vector<std::filesystem::path> files_with_ext(const std::filesystem::path& dir, const std::string& ext) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ext) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

/// Rows of a tab-separated file, header row skipped.
inline std::vector<std::vector<std::string>> read_tsv(const std::filesystem::path& p) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(read_file(p));
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (header) { header = false; continue; }
    if (line.empty()) continue;
    std::vector<std::string> cols;
    std::size_t i = 0;
    for (;;) {
      std::size_t t = line.find('\t', i);
      cols.push_back(line.substr(i, t == std::string::npos ? std::string::npos : t - i));
      if (t == std::string::npos) break;
      i = t + 1;
    }
    rows.push_back(std::move(cols));
  }
  return rows;
}

/// Validates `xml` with xmllint against `schema` from ../shared/testdata/schemas. The
/// shipped schemas import xml.xsd from the W3C; a local stand-in for xml:lang keeps
/// this offline.
inline bool schema_valid(const std::string& xml, const std::string& schema) {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("sipevents-xsd-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::ofstream(d / "xml.xsd")
        << "<?xml version=\"1.0\"?>\n<xs:schema targetNamespace=\"http://www.w3.org/XML/1998/namespace\" "
           "xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n<xs:attribute name=\"lang\" type=\"xs:language\"/>\n"
           "</xs:schema>\n";
    return d;
  }();
  auto local = dir / schema;
  if (!std::filesystem::exists(local)) {
    std::string xsd = read_file(shared_dir() / "testdata" / "schemas" / schema);
    for (std::string from : {"http://www.w3.org/2001/03/xml.xsd", "http://www.w3.org/2001/xml.xsd"}) {
      auto at = xsd.find(from);
      if (at != std::string::npos) xsd.replace(at, from.size(), "xml.xsd");
    }
    std::ofstream(local) << xsd;
  }
  static int n = 0;
  auto doc = dir / ("doc" + std::to_string(++n) + ".xml");
  std::ofstream(doc) << xml;
  std::string cmd = "xmllint --noout --nonet --schema " + local.string() + " " + doc.string() + " > " +
                    (dir / "out.txt").string() + " 2>&1";
  int rc = std::system(cmd.c_str());
  if (rc != 0) UNSCOPED_INFO(read_file(dir / "out.txt"));
  return rc == 0;
}

}  // namespace testsupport
