// Unit tests of the wake conversation's rules: what the server tells a camera after each of its
// messages, for fresh wakes, backlogs in both modes, captures per wake, sleep-only devices,
// repeated and restarted METADATA, failed images and uploads without a HELLO.
#include "core/wake_conversation.hpp"

#include <gtest/gtest.h>

namespace {

using devicewake::core::BacklogMode;
using devicewake::core::MetadataKind;
using devicewake::core::OnHello;
using devicewake::core::OnImageComplete;
using devicewake::core::OnImageFailed;
using devicewake::core::OnMetadata;
using devicewake::core::ParseWakePhase;
using devicewake::core::WakeAction;
using devicewake::core::WakeActionCommandType;
using devicewake::core::WakeActionType;
using devicewake::core::WakePhase;
using devicewake::core::WakePhaseName;
using devicewake::core::WakePolicy;
using devicewake::core::WakeState;
using devicewake::core::WakeStep;

using Actions = std::vector<WakeAction>;
const WakeAction kSendAll{WakeActionType::kSendAllPending, ""};
const WakeAction kCapture{WakeActionType::kCaptureImage, ""};
const WakeAction kSleepBare{WakeActionType::kSleep, ""};
WakeAction SendImage(const std::string& n) { return {WakeActionType::kSendImage, n}; }
WakeAction Ack(const std::string& n) { return {WakeActionType::kAckOk, n}; }
WakeAction Sleep(const std::string& n) { return {WakeActionType::kSleep, n}; }

WakePolicy PerName() {
  WakePolicy p;
  p.backlog_mode = BacklogMode::kSendImage;
  return p;
}

TEST(WakeConversation, FreshWakeCapturesOnceThenSleepsWithTheImage) {
  WakePolicy policy;
  WakeStep s = OnHello(policy, 0, {});
  EXPECT_EQ(s.actions, Actions{kCapture});
  EXPECT_EQ(s.state.phase, WakePhase::kCapture);
  s = OnMetadata(policy, s.state, "image_1.jpg", MetadataKind::kNew, false);
  EXPECT_EQ(s.actions, Actions{SendImage("image_1.jpg")});
  // the camera repeats its METADATA every few chunks: nothing more is sent
  for (int i = 0; i < 5; ++i) {
    s = OnMetadata(policy, s.state, "image_1.jpg", MetadataKind::kRepeat, false);
    EXPECT_TRUE(s.actions.empty());
  }
  s = OnImageComplete(policy, s.state, "image_1.jpg");
  EXPECT_EQ(s.actions, Actions{Sleep("image_1.jpg")});
  EXPECT_EQ(s.state.phase, WakePhase::kDone);
}

TEST(WakeConversation, BacklogOfTwoWithSendAllPendingThenOwnCapture) {
  WakePolicy policy;
  WakeStep s = OnHello(policy, 2, {"image_1.jpg", "image_2.jpg"});
  EXPECT_EQ(s.actions, Actions{kSendAll});
  EXPECT_EQ(s.state.phase, WakePhase::kBacklog);
  // streamed by the camera: no send_image
  s = OnMetadata(policy, s.state, "image_1.jpg", MetadataKind::kNew, false);
  EXPECT_TRUE(s.actions.empty());
  s = OnImageComplete(policy, s.state, "image_1.jpg");
  EXPECT_EQ(s.actions, Actions{Ack("image_1.jpg")});  // not a sleep signal: one more to come
  s = OnMetadata(policy, s.state, "image_2.jpg", MetadataKind::kNew, false);
  EXPECT_TRUE(s.actions.empty());
  s = OnImageComplete(policy, s.state, "image_2.jpg");
  EXPECT_EQ(s.actions, (Actions{Ack("image_2.jpg"), kCapture}));
  s = OnMetadata(policy, s.state, "image_3.jpg", MetadataKind::kNew, false);
  EXPECT_EQ(s.actions, Actions{SendImage("image_3.jpg")});
  s = OnImageComplete(policy, s.state, "image_3.jpg");
  EXPECT_EQ(s.actions, Actions{Sleep("image_3.jpg")});
}

TEST(WakeConversation, BacklogOfTenNeverSleepsBeforeTheLast) {
  WakePolicy policy;
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i) names.push_back("b" + std::to_string(i) + ".jpg");
  WakeStep s = OnHello(policy, 10, names);
  for (int i = 0; i < 10; ++i) {
    s = OnImageComplete(policy, s.state, names[i]);
    ASSERT_FALSE(s.actions.empty());
    EXPECT_EQ(s.actions.front(), Ack(names[i]));
    for (const WakeAction& a : s.actions) EXPECT_NE(a.type, WakeActionType::kSleep) << i;
  }
  EXPECT_EQ(s.actions.back(), kCapture);
}

TEST(WakeConversation, PendingCountBeyondTheListIsStillTheBacklog) {
  WakePolicy policy;
  WakeStep s = OnHello(policy, 3, {"a.jpg"});  // firmware caps pending_list
  EXPECT_EQ(s.state.backlog_left, 3);
  s = OnImageComplete(policy, s.state, "a.jpg");
  s = OnImageComplete(policy, s.state, "b.jpg");
  EXPECT_EQ(s.actions, Actions{Ack("b.jpg")});
  s = OnImageComplete(policy, s.state, "c.jpg");
  EXPECT_EQ(s.actions, (Actions{Ack("c.jpg"), kCapture}));
}

TEST(WakeConversation, SendImageModeAsksOneNameAtATime) {
  WakePolicy policy = PerName();
  WakeStep s = OnHello(policy, 2, {"a.jpg", "b.jpg", "a.jpg"});
  EXPECT_EQ(s.actions, Actions{SendImage("a.jpg")});
  // its METADATA answers our send_image: not asked again
  s = OnMetadata(policy, s.state, "a.jpg", MetadataKind::kNew, false);
  EXPECT_TRUE(s.actions.empty());
  s = OnImageComplete(policy, s.state, "a.jpg");
  EXPECT_EQ(s.actions, (Actions{Ack("a.jpg"), SendImage("b.jpg")}));
  s = OnMetadata(policy, s.state, "b.jpg", MetadataKind::kNew, false);
  EXPECT_TRUE(s.actions.empty());
  s = OnImageComplete(policy, s.state, "b.jpg");
  EXPECT_EQ(s.actions, (Actions{Ack("b.jpg"), kCapture}));
}

TEST(WakeConversation, SendImageModeWithoutNamesGoesStraightToTheCapture) {
  WakeStep s = OnHello(PerName(), 4, {});
  EXPECT_EQ(s.actions, Actions{kCapture});
}

TEST(WakeConversation, CapturesPerWakeAndCaptureOff) {
  WakePolicy two;
  two.captures_per_wake = 2;
  WakeStep s = OnHello(two, 0, {});
  s = OnMetadata(two, s.state, "x1.jpg", MetadataKind::kNew, false);
  s = OnImageComplete(two, s.state, "x1.jpg");
  EXPECT_EQ(s.actions, (Actions{Ack("x1.jpg"), kCapture}));
  s = OnMetadata(two, s.state, "x2.jpg", MetadataKind::kNew, false);
  EXPECT_EQ(s.actions, Actions{SendImage("x2.jpg")});
  s = OnImageComplete(two, s.state, "x2.jpg");
  EXPECT_EQ(s.actions, Actions{Sleep("x2.jpg")});

  WakePolicy off;
  off.capture_enabled = false;
  EXPECT_EQ(OnHello(off, 0, {}).actions, Actions{kSleepBare});
  WakePolicy zero;
  zero.captures_per_wake = 0;
  EXPECT_EQ(OnHello(zero, 0, {}).actions, Actions{kSleepBare});
  // capture off still drains the backlog, then sleeps with the last image
  WakeStep b = OnHello(off, 1, {"old.jpg"});
  EXPECT_EQ(b.actions, Actions{kSendAll});
  b = OnImageComplete(off, b.state, "old.jpg");
  EXPECT_EQ(b.actions, Actions{Sleep("old.jpg")});
}

TEST(WakeConversation, SleepOnlyDevicesAreOnlyToldToSleep) {
  WakePolicy policy;
  policy.sleep_only = true;
  WakeStep s = OnHello(policy, 5, {"a.jpg"});
  EXPECT_EQ(s.actions, Actions{kSleepBare});
  EXPECT_EQ(s.state.phase, WakePhase::kDone);
  // whatever it sends afterwards asks for nothing more
  s = OnMetadata(policy, s.state, "a.jpg", MetadataKind::kNew, false);
  EXPECT_TRUE(s.actions.empty());
}

TEST(WakeConversation, RestartedImageIsAskedAgainOnce) {
  WakePolicy policy;
  WakeStep s = OnHello(policy, 0, {});
  s = OnMetadata(policy, s.state, "i.jpg", MetadataKind::kNew, false);
  s = OnMetadata(policy, s.state, "i.jpg", MetadataKind::kRestart, false);
  EXPECT_EQ(s.actions, Actions{SendImage("i.jpg")});
  s = OnMetadata(policy, s.state, "i.jpg", MetadataKind::kRepeat, false);
  EXPECT_TRUE(s.actions.empty());
}

TEST(WakeConversation, AnUploadAlreadyAskedForByADueCommandIsNotAskedAgain) {
  WakePolicy policy;
  WakeStep s = OnHello(policy, 0, {});
  // a due retry_image made the camera send old.jpg while the capture is out
  s = OnMetadata(policy, s.state, "old.jpg", MetadataKind::kNew, true);
  EXPECT_TRUE(s.actions.empty());
  EXPECT_TRUE(s.state.awaiting_capture == false);
  EXPECT_EQ(s.state.current_image, "old.jpg");
  s = OnImageComplete(policy, s.state, "old.jpg");
  EXPECT_EQ(s.actions, Actions{Sleep("old.jpg")});
}

TEST(WakeConversation, ACompletionTheConversationDoesNotWaitOnIsAcknowledgedOnly) {
  WakePolicy policy;
  WakeStep s = OnHello(policy, 0, {});
  s = OnMetadata(policy, s.state, "mine.jpg", MetadataKind::kNew, false);
  s = OnImageComplete(policy, s.state, "other.jpg");
  EXPECT_EQ(s.actions, Actions{Ack("other.jpg")});
  EXPECT_EQ(s.state.current_image, "mine.jpg");
}

TEST(WakeConversation, ARepeatedMetadataOfACompleteImageIsAnsweredAgain) {
  WakePolicy policy;
  WakeStep s = OnHello(policy, 2, {"a.jpg", "b.jpg"});
  s = OnImageComplete(policy, s.state, "a.jpg");
  s = OnMetadata(policy, s.state, "a.jpg", MetadataKind::kComplete, false);
  EXPECT_EQ(s.actions, Actions{Ack("a.jpg")});
  s = OnImageComplete(policy, s.state, "b.jpg");
  s = OnMetadata(policy, s.state, "c.jpg", MetadataKind::kNew, false);
  s = OnImageComplete(policy, s.state, "c.jpg");
  EXPECT_EQ(s.actions, Actions{Sleep("c.jpg")});
  s = OnMetadata(policy, s.state, "c.jpg", MetadataKind::kComplete, false);
  EXPECT_EQ(s.actions, Actions{Sleep("c.jpg")});
  // a late completion after the sleep signal gets the sleep signal again
  s = OnImageComplete(policy, s.state, "c.jpg");
  EXPECT_EQ(s.actions, Actions{Sleep("c.jpg")});
}

TEST(WakeConversation, AFailedImageIsNotAcknowledgedAndTheWakeMovesOn) {
  WakePolicy policy;
  WakeStep s = OnHello(policy, 0, {});
  s = OnMetadata(policy, s.state, "bad.jpg", MetadataKind::kNew, false);
  s = OnImageFailed(policy, s.state, "bad.jpg");
  EXPECT_EQ(s.actions, Actions{kSleepBare});
  WakeStep p = OnHello(PerName(), 2, {"a.jpg", "b.jpg"});
  p = OnImageFailed(PerName(), p.state, "a.jpg");
  EXPECT_EQ(p.actions, Actions{SendImage("b.jpg")});
}

TEST(WakeConversation, UnpromptedUploadGetsSendImageThenTheSleepSignal) {
  WakePolicy policy;
  WakeStep s = OnMetadata(policy, WakeState::Unprompted(), "u.jpg", MetadataKind::kNew, false);
  EXPECT_EQ(s.actions, Actions{SendImage("u.jpg")});
  s = OnImageComplete(policy, s.state, "u.jpg");
  EXPECT_EQ(s.actions, Actions{Sleep("u.jpg")});
  // (the state is not stored without a session: every message starts from Unprompted())
  EXPECT_EQ(OnImageComplete(policy, WakeState::Unprompted(), "v.jpg").actions,
            Actions{Sleep("v.jpg")});
  EXPECT_EQ(OnImageComplete(policy, WakeState::Unprompted(), "v.jpg", 2).actions,
            Actions{Ack("v.jpg")});
  EXPECT_EQ(
      OnMetadata(policy, WakeState::Unprompted(), "w.jpg", MetadataKind::kComplete, false).actions,
      Actions{Sleep("w.jpg")});
}

TEST(WakeConversation, NoSleepSignalWhileAnotherImageOfTheWakeIsArriving) {
  WakePolicy policy;
  WakeStep s = OnHello(policy, 0, {});
  s = OnMetadata(policy, s.state, "a.jpg", MetadataKind::kNew, false);
  s = OnMetadata(policy, s.state, "b.jpg", MetadataKind::kNew, false);
  EXPECT_EQ(s.actions, Actions{SendImage("b.jpg")});  // an upload the camera started: asked once
  s = OnImageComplete(policy, s.state, "a.jpg", 1);
  EXPECT_EQ(s.actions, Actions{Ack("a.jpg")});
  s = OnImageComplete(policy, s.state, "b.jpg", 0);
  EXPECT_EQ(s.actions, Actions{Sleep("b.jpg")});
  // a failure while another is still arriving says nothing; the last one's answer ends the wake
  WakeStep f = OnHello(policy, 0, {});
  f = OnMetadata(policy, f.state, "x.jpg", MetadataKind::kNew, false);
  f = OnImageFailed(policy, f.state, "x.jpg", 2);
  EXPECT_TRUE(f.actions.empty());
  EXPECT_EQ(f.state.phase, WakePhase::kDone);
  EXPECT_EQ(OnImageFailed(policy, f.state, "y.jpg", 0).actions, Actions{kSleepBare});
  EXPECT_EQ(OnImageComplete(policy, f.state, "y.jpg", 1).actions, Actions{Ack("y.jpg")});
}

TEST(WakeConversation, NamesRoundTrip) {
  for (WakePhase p : {WakePhase::kBacklog, WakePhase::kCapture, WakePhase::kDone}) {
    WakePhase back = WakePhase::kDone;
    ASSERT_TRUE(ParseWakePhase(WakePhaseName(p), &back));
    EXPECT_EQ(back, p);
  }
  WakePhase unchanged = WakePhase::kBacklog;
  EXPECT_FALSE(ParseWakePhase("asleep", &unchanged));
  EXPECT_EQ(unchanged, WakePhase::kBacklog);
  EXPECT_STREQ(WakeActionCommandType(WakeActionType::kSendAllPending), "send_all_pending");
  EXPECT_STREQ(WakeActionCommandType(WakeActionType::kAckOk), "ack_ok");
  EXPECT_STREQ(WakeActionCommandType(WakeActionType::kSleep), "sleep");
  EXPECT_STREQ(WakeActionCommandType(WakeActionType::kCaptureImage), "capture_image");
  EXPECT_STREQ(WakeActionCommandType(WakeActionType::kSendImage), "send_image");
}

}  // namespace
