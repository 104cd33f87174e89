#include "core/token_bucket.hpp"

#include <gtest/gtest.h>

namespace devicewake::core {
namespace {

TEST(TokenBucket, AllowsTheBurstAtOnceThenOnePerInterval) {
  TokenBucket bucket(3, 10);
  EXPECT_EQ(bucket.Take(1000), 0);
  EXPECT_EQ(bucket.Take(1000), 0);
  EXPECT_EQ(bucket.Take(1000), 0);
  EXPECT_EQ(bucket.Take(1000), 10);  // none left: this event owes the token due at 1010
  EXPECT_EQ(bucket.Take(1010), 10);  // that token paid the debt: this one owes the next
  EXPECT_EQ(bucket.Take(1020), 10);
  EXPECT_EQ(bucket.Take(1045), 0);  // two tokens came (1030, 1040): one pays, one is spent
}

TEST(TokenBucket, AnEventDuringTheWaitIsNotChargedTwice) {
  TokenBucket bucket(1, 10);
  EXPECT_EQ(bucket.Take(0), 0);
  EXPECT_EQ(bucket.Take(0), 10);
  EXPECT_EQ(bucket.Take(4), 6);  // still the same debt
  EXPECT_EQ(bucket.Take(10), 10);
}

TEST(TokenBucket, RefillsUpToTheBurstOnly) {
  TokenBucket bucket(2, 10);
  EXPECT_EQ(bucket.Take(0), 0);
  EXPECT_EQ(bucket.Take(0), 0);
  // a long quiet time gives back the burst, not more
  EXPECT_EQ(bucket.Take(100000), 0);
  EXPECT_EQ(bucket.Take(100000), 0);
  EXPECT_GT(bucket.Take(100000), 0);
}

// (a full bucket earns nothing: the first token after a take from a full bucket is a whole
// interval after the take)
TEST(TokenBucket, KeepsTheFractionOfATokenAlreadyEarned) {
  TokenBucket bucket(2, 10);
  EXPECT_EQ(bucket.Take(0), 0);
  EXPECT_EQ(bucket.Take(0), 0);
  EXPECT_EQ(bucket.Take(15), 0);  // one token came at 10
  EXPECT_EQ(bucket.Take(15), 5);  // the next comes at 20, not at 25
}

// What the worker does in a flood: an event whenever allowed, at most every millisecond.
TEST(TokenBucket, AFloodIsHeldToTheRate) {
  TokenBucket bucket(5, 10);
  int events = 0;
  for (std::int64_t now = 0; now < 1000;) {
    std::int64_t wait = bucket.Take(now);
    ++events;
    now += std::max<std::int64_t>(wait, 1);
  }
  EXPECT_EQ(events, 6 + 99);  // the burst (0..4 ms), one owed at 5, then one per 10 ms
}

TEST(TokenBucket, AClockGoingBackwardsRefillsNothing) {
  TokenBucket bucket(1, 10);
  EXPECT_EQ(bucket.Take(1000), 0);
  EXPECT_EQ(bucket.Take(500), 10);  // nothing was earned by going back
  EXPECT_EQ(bucket.Take(520), 0);   // two tokens since 500: one pays, one is spent
}

TEST(TokenBucket, NonsenseParametersAreRaisedToOne) {
  TokenBucket bucket(0, 0);
  EXPECT_EQ(bucket.Take(0), 0);
  EXPECT_EQ(bucket.Take(0), 1);
  EXPECT_EQ(bucket.Take(3), 0);
}

}  // namespace
}  // namespace devicewake::core
