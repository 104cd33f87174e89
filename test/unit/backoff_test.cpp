// Backoff grows exponentially to its cap, jitters within [half, full], and resets.
#include "core/backoff.hpp"

#include <gtest/gtest.h>

using devicewake::core::Backoff;

TEST(Backoff, DoublesUpToTheCapWithoutJitterAtOne) {
  Backoff b(1000, 60000, [] { return 1.0; });
  EXPECT_EQ(b.NextDelayMs(), 1000);
  EXPECT_EQ(b.NextDelayMs(), 2000);
  EXPECT_EQ(b.NextDelayMs(), 4000);
  for (int i = 0; i < 10; ++i) b.NextDelayMs();
  EXPECT_EQ(b.NextDelayMs(), 60000);
  for (int i = 0; i < 100; ++i) EXPECT_LE(b.NextDelayMs(), 60000);
}

TEST(Backoff, JitterKeepsHalfToFull) {
  Backoff low(1000, 60000, [] { return 0.0; });
  EXPECT_EQ(low.NextDelayMs(), 500);
  EXPECT_EQ(low.NextDelayMs(), 1000);
  Backoff real(1000, 8000);
  for (int i = 0; i < 50; ++i) {
    auto d = real.NextDelayMs();
    EXPECT_GE(d, 500);
    EXPECT_LE(d, 8000);
  }
}

TEST(Backoff, ResetStartsOver) {
  Backoff b(100, 1000, [] { return 1.0; });
  b.NextDelayMs();
  b.NextDelayMs();
  b.Reset();
  EXPECT_EQ(b.NextDelayMs(), 100);
}
