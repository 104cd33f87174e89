#include "core/token_bucket.hpp"

#include <gtest/gtest.h>

namespace devicewake::core {
namespace {

TEST(TokenBucket, AllowsTheBurstAtOnceThenOnePerInterval) {
  TokenBucket bucket(3, 10);
  EXPECT_EQ(bucket.Take(1000), 0);
  EXPECT_EQ(bucket.Take(1000), 0);
  EXPECT_EQ(bucket.Take(1000), 0);
  EXPECT_EQ(bucket.Take(1000), 10);  // empty: the next token is 10 ms away
  EXPECT_EQ(bucket.Take(1004), 6);
  EXPECT_EQ(bucket.Take(1010), 0);
  EXPECT_EQ(bucket.Take(1010), 10);
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
  EXPECT_EQ(bucket.Take(20), 0);
}

TEST(TokenBucket, AFloodIsHeldToTheRate) {
  TokenBucket bucket(5, 10);
  int taken = 0;
  for (std::int64_t now = 0; now < 1000; ++now) {  // asked every millisecond for a second
    if (bucket.Take(now) == 0) ++taken;
  }
  EXPECT_EQ(taken, 5 + 99);  // the burst, then one per 10 ms
}

TEST(TokenBucket, AClockGoingBackwardsRefillsNothing) {
  TokenBucket bucket(1, 10);
  EXPECT_EQ(bucket.Take(1000), 0);
  EXPECT_GT(bucket.Take(500), 0);
  EXPECT_GT(bucket.Take(505), 0);
  EXPECT_EQ(bucket.Take(515), 0);
}

TEST(TokenBucket, NonsenseParametersAreRaisedToOne) {
  TokenBucket bucket(0, 0);
  EXPECT_EQ(bucket.Take(0), 0);
  EXPECT_EQ(bucket.Take(0), 1);
  EXPECT_EQ(bucket.Take(1), 0);
}

}  // namespace
}  // namespace devicewake::core
