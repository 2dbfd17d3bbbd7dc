#include "infrastructure/pipeline/retry_policy.hpp"

#include <algorithm>

namespace fixit::infrastructure::pipeline {

std::chrono::milliseconds RetryPolicy::delay_after(int failed_attempts, double unit_random) const {
  const auto cap_ms = std::max<std::int64_t>(cap.count(), 1);
  std::int64_t full = std::max<std::int64_t>(base.count(), 1);
  for (int i = 1; i < failed_attempts && full < cap_ms; ++i) {
    full *= 2;
  }
  full = std::min(full, cap_ms);
  const double unit = std::clamp(unit_random, 0.0, 1.0);
  const auto half = full / 2;
  return std::chrono::milliseconds(full - half +
                                   static_cast<std::int64_t>(unit * static_cast<double>(half)));
}

}  // namespace fixit::infrastructure::pipeline
