// Capped exponential backoff with jitter, for the worker's broker reconnects and publish retries.
// No clock and no global random state: the caller supplies a random source and adds the delay to
// its own clock. Never throws. Not thread-safe (one Backoff per retry loop).
#pragma once
#include "core/cpp_only.hpp"

#include <cstdint>
#include <functional>

namespace devicewake::core {

struct BackoffPolicy {
  std::int64_t initial_ms = 500;  // delay before the first retry (before jitter)
  std::int64_t max_ms = 60000;    // cap on the delay (before jitter)
  double multiplier = 2.0;        // growth per failed attempt, >= 1
  double jitter = 0.5;            // fraction of the delay randomised: delay * [1 - jitter, 1]
};

class Backoff {
 public:
  // random01 returns a value in [0, 1); values outside are clamped. Invalid policy values are
  // clamped to sane ones (initial >= 1 ms, max >= initial, multiplier >= 1, jitter in [0, 1]).
  Backoff(BackoffPolicy policy, std::function<double()> random01);

  // The delay before the next attempt, in ms, and advances the attempt count. The undithered
  // delay is initial_ms * multiplier^attempts, capped at max_ms; the result lies in
  // [base * (1 - jitter), base], and is always >= 1.
  std::int64_t NextDelayMs() noexcept;

  // After a success: the next failure starts again from initial_ms.
  void Reset() noexcept {
    attempts_ = 0;
    current_ms_ = 0;
  }

  // Failed attempts since the last Reset.
  std::int64_t attempts() const noexcept { return attempts_; }

 private:
  BackoffPolicy policy_;
  std::function<double()> random01_;
  std::int64_t attempts_ = 0;
  double current_ms_ = 0;  // undithered delay of the last attempt (0 before the first)
};

}  // namespace devicewake::core
