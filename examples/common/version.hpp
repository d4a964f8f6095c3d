// --version, the same in every tool: "sipevents-notifier 0.1.0".
#pragma once
#include <cstdio>
#include <cstring>

#include "sipevents/version.hpp"

namespace tools {

/// True (after printing the tool's name and the library version) when `--version` is
/// among the arguments: the tool then exits 0 without doing anything else.
inline bool print_version(int argc, char** argv, const char* tool) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--version") == 0) {
      std::printf("%s %s\n", tool, SIPEVENTS_VERSION_STRING);
      return true;
    }
  return false;
}

}  // namespace tools
