// Capped exponential backoff with jitter for reconnects (broker, LISTEN connection). The random
// source is injected so tests are deterministic; no clock is read here.
#pragma once
#include "core/cpp_only.hpp"

#include <cstdint>
#include <functional>

namespace devicewake::core {

class Backoff {
 public:
  // Delays grow base, 2*base, 4*base ... up to cap; each is scaled by a jitter factor in
  // [0.5, 1.0] drawn from `uniform` (returns a value in [0, 1)), so reconnecting clients spread.
  Backoff(std::int64_t base_ms, std::int64_t cap_ms, std::function<double()> uniform = {});
  std::int64_t NextDelayMs();
  void Reset() { attempt_ = 0; }
  int attempt() const { return attempt_; }

 private:
  std::int64_t base_ms_;
  std::int64_t cap_ms_;
  std::function<double()> uniform_;
  int attempt_ = 0;
};

}  // namespace devicewake::core
