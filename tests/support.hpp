// Test helpers: fixture files from ../shared.
#pragma once
#include <algorithm>
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

}  // namespace testsupport
