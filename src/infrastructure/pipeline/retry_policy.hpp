#pragma once

#include <chrono>

namespace fixit::infrastructure::pipeline {

// When to try a failed outbound call again: exponential backoff with jitter,
// capped, and a limit on the number of attempts.
struct RetryPolicy {
  std::chrono::milliseconds base{1000};
  std::chrono::milliseconds cap{std::chrono::minutes(10)};
  int max_attempts = 12;

  // The wait after the `failed_attempts`-th failure (1, 2, ...): base doubled
  // per earlier failure, capped, of which a random upper half is used
  // ("equal jitter": `unit_random` in [0, 1) picks the point). Below the cap
  // the ranges of consecutive attempts do not overlap, so the wait never
  // shrinks from one attempt to the next; retries of actions that failed
  // together still spread out.
  [[nodiscard]] std::chrono::milliseconds delay_after(int failed_attempts,
                                                      double unit_random) const;

  // Whether another attempt is allowed after `attempts` attempts.
  [[nodiscard]] bool may_retry(int attempts) const { return attempts < max_attempts; }
};

}  // namespace fixit::infrastructure::pipeline
