// Unit tests of capped exponential backoff with an injected random source.
#include "core/backoff.hpp"

#include <gtest/gtest.h>

using devicewake::core::Backoff;
using devicewake::core::BackoffPolicy;

TEST(Backoff, GrowsExponentiallyToTheCapWithoutJitter) {
  Backoff b(BackoffPolicy{100, 1000, 2.0, 0.0}, [] { return 0.7; });
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 7; ++i) delays.push_back(b.NextDelayMs());
  EXPECT_EQ(delays, (std::vector<std::int64_t>{100, 200, 400, 800, 1000, 1000, 1000}));
  EXPECT_EQ(b.attempts(), 7);
  b.Reset();
  EXPECT_EQ(b.attempts(), 0);
  EXPECT_EQ(b.NextDelayMs(), 100);
}

TEST(Backoff, JitterStaysWithinItsBand) {
  double r = 0.0;
  Backoff b(BackoffPolicy{1000, 60000, 2.0, 0.5}, [&] { return r; });
  EXPECT_EQ(b.NextDelayMs(), 1000);  // r = 0: the full delay
  r = 0.999999;
  std::int64_t d = b.NextDelayMs();  // base 2000, band [1000, 2000]
  EXPECT_GE(d, 1000);
  EXPECT_LE(d, 2000);
  r = 0.5;
  EXPECT_EQ(b.NextDelayMs(), 3000);  // base 4000 * (1 - 0.25)
}

TEST(Backoff, NeverOverflowsAndClampsBadInputs) {
  Backoff b(BackoffPolicy{1, 300000, 10.0, 1.0}, [] { return 5.0; });  // random out of range
  for (int i = 0; i < 10000; ++i) {
    std::int64_t d = b.NextDelayMs();
    ASSERT_GE(d, 1);
    ASSERT_LE(d, 300000);
  }
  Backoff nan_random(BackoffPolicy{-5, -10, 0.1, -1},
                     [] { return std::numeric_limits<double>::quiet_NaN(); });
  EXPECT_EQ(nan_random.NextDelayMs(), 1);
  EXPECT_EQ(nan_random.NextDelayMs(), 1);
  Backoff no_random(BackoffPolicy{}, nullptr);
  EXPECT_EQ(no_random.NextDelayMs(), 500);
  Backoff throwing(BackoffPolicy{}, []() -> double { throw 1; });
  EXPECT_EQ(throwing.NextDelayMs(), 500);
}
