// A token bucket on the caller's clock: up to `burst` events at once, refilled at one token every
// `interval_ms`. The worker rations its empty claim scans with it, so a flood of commits costs a
// bounded number of scans a second while a single empty scan (a commit that landed during the
// previous scan) never delays the next one. No clock of its own; never throws.
#pragma once
#include "core/cpp_only.hpp"

#include <cstdint>

namespace devicewake::core {

class TokenBucket {
 public:
  // burst >= 1 and interval_ms >= 1 (smaller values are raised to 1). Starts full.
  TokenBucket(int burst, std::int64_t interval_ms) noexcept;

  // Counts an event that happened at now_ms: spends a token, or goes one token into debt when
  // there is none. Returns 0 when the bucket had a token, otherwise how many ms from now_ms until
  // the debt is paid: the caller lets no further event happen before then. (The debt is at most
  // one token: an event that came anyway during the wait is not charged again.) A clock that goes
  // backwards refills nothing.
  std::int64_t Take(std::int64_t now_ms) noexcept;

 private:
  void Refill(std::int64_t now_ms) noexcept;

  std::int64_t burst_;
  std::int64_t interval_ms_;
  std::int64_t tokens_;       // whole tokens available
  std::int64_t refilled_ms_;  // the clock up to which tokens were added (-1: not yet)
};

}  // namespace devicewake::core
