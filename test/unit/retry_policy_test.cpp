// Unit tests of the timeout/retry counter rules and the retry command's delivery window.
#include "core/retry_policy.hpp"

#include <gtest/gtest.h>

using namespace devicewake::core;

namespace {
constexpr std::int64_t kMinute = 60LL * 1000 * 1000;
}

TEST(RetryPolicy, ThreeRetriesThenStop) {
  // max_retries = 3: timeouts with retry_count 0, 1, 2 before them queue retries; 3 does not
  EXPECT_TRUE(ShouldQueueRetry(0, 3));
  EXPECT_TRUE(ShouldQueueRetry(1, 3));
  EXPECT_TRUE(ShouldQueueRetry(2, 3));
  EXPECT_FALSE(ShouldQueueRetry(3, 3));
  EXPECT_FALSE(ShouldQueueRetry(4, 3));
}

TEST(RetryPolicy, AlertOnLastRetryAndAfter) {
  EXPECT_FALSE(ShouldRaiseAlert(0, 3));
  EXPECT_FALSE(ShouldRaiseAlert(1, 3));
  EXPECT_TRUE(ShouldRaiseAlert(2, 3));
  EXPECT_TRUE(ShouldRaiseAlert(3, 3));
}

TEST(RetryPolicy, ZeroRetriesAlertsAtOnceAndNeverRetries) {
  EXPECT_FALSE(ShouldQueueRetry(0, 0));
  EXPECT_TRUE(ShouldRaiseAlert(0, 0));
}

TEST(RetryPolicy, SqlMatchesTheRules) {
  EXPECT_EQ(QueueRetrySql("b", "m"), "(b < m)");
  EXPECT_EQ(RaiseAlertSql("b", "m"), "(b >= m - 1)");
}

TEST(RetryPolicy, WindowAroundAFutureWake) {
  RetryWindow w = ComputeRetryWindow(100 * kMinute, 10 * kMinute);
  ASSERT_TRUE(w.scheduled_for.has_value());
  EXPECT_EQ(*w.scheduled_for, 95 * kMinute);
  EXPECT_EQ(w.expires_at, 160 * kMinute);
}

TEST(RetryPolicy, WakeJustPassedKeepsItsWindow) {
  // the sweep's case: next_wake_at 5 minutes ago, due at once, expires 55 minutes from now
  RetryWindow w = ComputeRetryWindow(100 * kMinute, 105 * kMinute);
  ASSERT_TRUE(w.scheduled_for.has_value());
  EXPECT_EQ(*w.scheduled_for, 95 * kMinute);
  EXPECT_EQ(w.expires_at, 160 * kMinute);
}

TEST(RetryPolicy, ClosedWindowOrNoWakeIsDueNowFor24Hours) {
  RetryWindow closed = ComputeRetryWindow(100 * kMinute, 160 * kMinute);
  EXPECT_FALSE(closed.scheduled_for.has_value());
  EXPECT_EQ(closed.expires_at, 160 * kMinute + 24 * 60 * kMinute);
  RetryWindow none = ComputeRetryWindow(std::nullopt, 7 * kMinute);
  EXPECT_FALSE(none.scheduled_for.has_value());
  EXPECT_EQ(none.expires_at, 7 * kMinute + 24 * 60 * kMinute);
}
