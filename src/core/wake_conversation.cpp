// The wake conversation's rules (see wake_conversation.hpp and the state table in
// src/pg/README.md).
#include "core/wake_conversation.hpp"

#include <algorithm>
#include <utility>

namespace devicewake::core {
namespace {

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool MayCapture(const WakePolicy& policy, const WakeState& state) {
  return !policy.sleep_only && !state.unprompted && policy.capture_enabled &&
         state.captures_asked < policy.captures_per_wake;
}

void AskFor(WakeState& state, const std::string& name, std::vector<WakeAction>& actions) {
  state.current_image = name;
  if (!Contains(state.asked_images, name)) state.asked_images.push_back(name);
  actions.push_back({WakeActionType::kSendImage, name});
}

// What follows once nothing is outstanding: the next backlog image, else this wake's own
// capture, else the sleep signal (without an image name; the caller may attach one).
void Advance(const WakePolicy& policy, WakeState& state, std::vector<WakeAction>& actions) {
  if (state.phase == WakePhase::kBacklog) {
    if (policy.backlog_mode == BacklogMode::kSendAllPending && state.backlog_left > 0) {
      return;  // the camera streams the rest on its own
    }
    if (policy.backlog_mode == BacklogMode::kSendImage && state.current_image.empty()) {
      while (!state.backlog_names.empty()) {
        std::string next = std::move(state.backlog_names.front());
        state.backlog_names.erase(state.backlog_names.begin());
        if (Contains(state.asked_images, next)) continue;  // already asked during this wake
        return AskFor(state, next, actions);
      }
    }
    if (!state.current_image.empty()) return;  // the backlog image asked for is still arriving
    state.backlog_left = 0;
    state.phase = WakePhase::kCapture;
  }
  if (state.phase == WakePhase::kCapture && !state.awaiting_capture &&
      state.current_image.empty()) {
    if (MayCapture(policy, state)) {
      ++state.captures_asked;
      state.awaiting_capture = true;
      actions.push_back({WakeActionType::kCaptureImage, {}});
      return;
    }
    state.phase = WakePhase::kDone;
    actions.push_back({WakeActionType::kSleep, {}});
  }
}

bool IsSleep(const std::vector<WakeAction>& actions) {
  return actions.size() == 1 && actions.front().type == WakeActionType::kSleep;
}

// The answer to a completed image: ACK_OK:true and what follows, or, when nothing follows and no
// other image of the wake is still arriving, the sleep signal naming the image.
std::vector<WakeAction> AnswerCompletion(const WakePolicy& policy, WakeState& state,
                                         const std::string& name, int others_receiving) {
  std::vector<WakeAction> next;
  Advance(policy, state, next);
  if (IsSleep(next)) {
    if (others_receiving > 0) return {{WakeActionType::kAckOk, name}};
    return {{WakeActionType::kSleep, name}};
  }
  std::vector<WakeAction> actions{{WakeActionType::kAckOk, name}};
  actions.insert(actions.end(), next.begin(), next.end());
  return actions;
}

// Books a finished (complete or failed) image against the backlog or the capture it answered.
// Returns false when the image is not what the conversation was waiting for.
bool Finish(WakeState& state, const std::string& name) {
  if (state.unprompted) {  // whatever the device sent is what it was doing
    state.awaiting_capture = false;
    state.current_image.clear();
    return true;
  }
  if (state.phase == WakePhase::kBacklog) {
    if (state.backlog_left > 0) --state.backlog_left;
    if (state.current_image == name) state.current_image.clear();
    return true;
  }
  if (state.current_image != name) return false;
  state.current_image.clear();
  return true;
}

}  // namespace

WakeState WakeState::Unprompted() {
  WakeState s;
  s.phase = WakePhase::kCapture;
  s.awaiting_capture = true;  // the first METADATA is the upload the device started
  s.unprompted = true;
  return s;
}

bool WakeState::operator==(const WakeState& o) const {
  return phase == o.phase && backlog_left == o.backlog_left && backlog_names == o.backlog_names &&
         asked_images == o.asked_images && captures_asked == o.captures_asked &&
         awaiting_capture == o.awaiting_capture && current_image == o.current_image &&
         unprompted == o.unprompted;
}

const char* WakeActionCommandType(WakeActionType type) noexcept {
  switch (type) {
    case WakeActionType::kSendAllPending:
      return "send_all_pending";
    case WakeActionType::kSendImage:
      return "send_image";
    case WakeActionType::kCaptureImage:
      return "capture_image";
    case WakeActionType::kAckOk:
      return "ack_ok";
    case WakeActionType::kSleep:
      return "sleep";
  }
  return "sleep";
}

WakeStep OnHello(const WakePolicy& policy, std::int64_t pending_count,
                 const std::vector<std::string>& pending_names) {
  WakeStep step;
  WakeState& s = step.state;
  if (policy.sleep_only) {
    s.phase = WakePhase::kDone;
    step.actions.push_back({WakeActionType::kSleep, {}});
    return step;
  }
  if (policy.backlog_mode == BacklogMode::kSendAllPending) {
    std::int64_t count = std::max<std::int64_t>(pending_count, 0);
    count = std::max<std::int64_t>(count, static_cast<std::int64_t>(pending_names.size()));
    s.backlog_left = static_cast<int>(std::min<std::int64_t>(count, 1 << 20));
    if (s.backlog_left > 0) {
      s.phase = WakePhase::kBacklog;
      step.actions.push_back({WakeActionType::kSendAllPending, {}});
      return step;
    }
  } else {
    for (const std::string& name : pending_names) {
      if (!Contains(s.backlog_names, name)) s.backlog_names.push_back(name);
    }
    s.backlog_left = static_cast<int>(s.backlog_names.size());
    if (s.backlog_left > 0) s.phase = WakePhase::kBacklog;
  }
  Advance(policy, s, step.actions);
  return step;
}

WakeStep OnMetadata(const WakePolicy& policy, WakeState state, const std::string& image_name,
                    MetadataKind kind, bool already_asked) {
  WakeStep step{std::move(state), {}};
  WakeState& s = step.state;
  if (kind == MetadataKind::kRepeat) return step;
  if (kind == MetadataKind::kComplete) {
    // the camera missed the answer to this image: give it again
    bool over = s.phase == WakePhase::kDone || s.unprompted;
    step.actions.push_back({over ? WakeActionType::kSleep : WakeActionType::kAckOk, image_name});
    return step;
  }
  if (s.phase == WakePhase::kDone) return step;  // told to sleep: nothing more is asked
  if (s.phase == WakePhase::kBacklog && policy.backlog_mode == BacklogMode::kSendAllPending) {
    return step;  // streamed on the camera's own after send_all_pending
  }
  if (s.phase == WakePhase::kCapture && s.awaiting_capture) {
    s.awaiting_capture = false;  // this METADATA answers the capture_image
    s.current_image = image_name;
  }
  bool asked = already_asked || Contains(s.asked_images, image_name);
  if (asked && kind != MetadataKind::kRestart) return step;
  if (s.current_image.empty()) s.current_image = image_name;
  if (!Contains(s.asked_images, image_name)) s.asked_images.push_back(image_name);
  step.actions.push_back({WakeActionType::kSendImage, image_name});
  return step;
}

WakeStep OnImageComplete(const WakePolicy& policy, WakeState state, const std::string& image_name,
                         int others_receiving) {
  WakeStep step{std::move(state), {}};
  WakeState& s = step.state;
  if (s.phase == WakePhase::kDone) {
    step.actions.push_back(
        {others_receiving > 0 ? WakeActionType::kAckOk : WakeActionType::kSleep, image_name});
    return step;
  }
  if (!Finish(s, image_name)) {
    // not the image the conversation waits on (e.g. one a due send_image asked for)
    step.actions.push_back({WakeActionType::kAckOk, image_name});
    return step;
  }
  step.actions = AnswerCompletion(policy, s, image_name, others_receiving);
  return step;
}

WakeStep OnImageFailed(const WakePolicy& policy, WakeState state, const std::string& image_name,
                       int others_receiving) {
  WakeStep step{std::move(state), {}};
  WakeState& s = step.state;
  if (s.phase == WakePhase::kDone) {
    if (others_receiving == 0) step.actions.push_back({WakeActionType::kSleep, {}});
    return step;
  }
  if (!Finish(s, image_name)) return step;
  Advance(policy, s, step.actions);
  if (IsSleep(step.actions) && others_receiving > 0) step.actions.clear();
  return step;
}

const char* WakePhaseName(WakePhase phase) noexcept {
  switch (phase) {
    case WakePhase::kBacklog:
      return "backlog";
    case WakePhase::kCapture:
      return "capture";
    case WakePhase::kDone:
      return "done";
  }
  return "done";
}

bool ParseWakePhase(const std::string& name, WakePhase* phase) noexcept {
  for (WakePhase p : {WakePhase::kBacklog, WakePhase::kCapture, WakePhase::kDone}) {
    if (name == WakePhaseName(p)) {
      *phase = p;
      return true;
    }
  }
  return false;
}

}  // namespace devicewake::core
