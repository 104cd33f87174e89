#include "core/token_bucket.hpp"

#include <algorithm>

namespace devicewake::core {

TokenBucket::TokenBucket(int burst, std::int64_t interval_ms) noexcept
    : burst_(std::max(burst, 1)),
      interval_ms_(std::max<std::int64_t>(interval_ms, 1)),
      tokens_(burst_),
      refilled_ms_(-1) {}

void TokenBucket::Refill(std::int64_t now_ms) noexcept {
  if (refilled_ms_ < 0 || now_ms < refilled_ms_) {
    refilled_ms_ = now_ms;
    return;
  }
  std::int64_t added = (now_ms - refilled_ms_) / interval_ms_;
  if (tokens_ + added >= burst_) {
    tokens_ = burst_;
    refilled_ms_ = now_ms;
  } else {
    tokens_ += added;
    refilled_ms_ += added * interval_ms_;  // keep the fraction of a token already earned
  }
}

std::int64_t TokenBucket::Take(std::int64_t now_ms) noexcept {
  Refill(now_ms);
  if (tokens_ > 0) {
    --tokens_;
    return 0;
  }
  tokens_ = -1;  // owed: the next token pays for this event
  return std::max<std::int64_t>(refilled_ms_ + interval_ms_ - now_ms, 1);
}

}  // namespace devicewake::core
