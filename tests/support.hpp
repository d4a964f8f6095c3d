// Test helpers: fixture files from ../shared.
#pragma once
#include <catch2/catch.hpp>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace testsupport {

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
