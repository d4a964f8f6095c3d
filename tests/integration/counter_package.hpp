// A package whose state is a counter: enough to drive a notifier on a real runtime.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sipevents/events/package.hpp"

namespace testsupport {

struct counter_package : sipevents::events::package {
  int version = 0;
  std::string_view name() const override { return "x-count"; }
  std::vector<std::string> content_types() const override { return {"text/plain"}; }
  std::optional<sipevents::events::body> state(const sipevents::events::watcher_view&) override {
    return sipevents::events::body{"text/plain", "version " + std::to_string(version)};
  }
};

}  // namespace testsupport
