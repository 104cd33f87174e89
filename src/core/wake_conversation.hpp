// The wake conversation of docs/design.md §8.1: after its HELLO the camera does only what the
// server tells it, so the server decides each next step (ask for the backlog, ask for a capture,
// answer a capture's METADATA with send_image, acknowledge an image, tell the camera to sleep).
// These are the rules, as a pure state machine: a state and an event in, the next state and the
// messages to send out. The worker keeps the state in device_wake_sessions and turns actions
// into device_commands. Pure C++; never throws (beyond std::bad_alloc); any thread may call it.
#pragma once
#include "core/cpp_only.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace devicewake::core {

// How a camera is asked for the images it still holds from earlier wakes.
enum class BacklogMode {
  kSendAllPending,  // one {"send_all_pending":true}: firmware ≥ 3.5.0 streams them all
  kSendImage,       // one {"send_image":name} at a time, the next after the previous completed
};

// What varies per device and firmware (device columns over devicewake.* settings).
struct WakePolicy {
  BacklogMode backlog_mode = BacklogMode::kSendAllPending;
  int captures_per_wake = 1;  // capture_image requests per wake (0: never)
  bool capture_enabled = true;
  // An unassigned or unknown device, an inactive one, or a relay wake (docs/design.md §8.1):
  // no image is asked for; the camera is only told when to wake next.
  bool sleep_only = false;
};

enum class WakePhase {
  kBacklog,  // images from earlier wakes are being sent
  kCapture,  // this wake's own pictures
  kDone,     // the sleep signal went out
};

// Everything the conversation remembers between two messages of one wake.
struct WakeState {
  WakePhase phase = WakePhase::kCapture;
  int backlog_left = 0;                    // backlog images not yet complete this wake
  std::vector<std::string> backlog_names;  // kSendImage: names still to ask for, in order
  std::vector<std::string> asked_images;   // names told send_image this wake
  int captures_asked = 0;                  // capture_image requests sent this wake
  bool awaiting_capture = false;           // a capture_image is out, its METADATA not seen yet
  std::string current_image;               // the image whose completion the next step waits on
  bool unprompted = false;                 // no wake session: see Unprompted() (never stored)

  // The state for a device that uploads without a HELLO (no open wake session: an old client
  // or a test tool): its METADATA is answered with send_image and each of its images with the
  // sleep signal, and nothing more is asked. Such a state is built afresh for every message.
  static WakeState Unprompted();
  bool operator==(const WakeState& other) const;
};

enum class WakeActionType {
  kSendAllPending,  // {"send_all_pending":true} on /cmd
  kSendImage,       // {"send_image":image} on /cmd
  kCaptureImage,    // {"capture_image":true} on /cmd
  kAckOk,           // {"image_name":image,"ACK_OK":true} on /ack: received, the wake goes on
  kSleep,           // {["image_name":image,]"ACK_OK":{"next_wake_time":…}} on /ack: sleep now
};

struct WakeAction {
  WakeActionType type;
  std::string image_name;  // kSendImage, kAckOk; kSleep when it answers a completed image
  bool operator==(const WakeAction& other) const {
    return type == other.type && image_name == other.image_name;
  }
};

// "send_all_pending", "send_image", "capture_image", "ack_ok" or "sleep": the device_commands
// command_type each action is queued as.
const char* WakeActionCommandType(WakeActionType type) noexcept;

// What the METADATA of an image is, compared with what the server already holds.
enum class MetadataKind {
  kNew,       // an image not seen before, or resumed from an earlier wake
  kRepeat,    // the same name, count, size and capture time again this wake (cameras repeat it)
  kRestart,   // a changed layout: the stored chunks were dropped and the image starts over
  kComplete,  // the image is already complete: the camera missed the server's answer
};

struct WakeStep {
  WakeState state;
  std::vector<WakeAction> actions;  // in the order they must be sent
};

// The HELLO that opens a wake. pending_names are the HELLO's pending_list (they may be fewer than
// pending_count: firmware caps the list at 10).
WakeStep OnHello(const WakePolicy& policy, std::int64_t pending_count,
                 const std::vector<std::string>& pending_names);

// A METADATA. already_asked: a send_image or retry_image for this name was published during this
// wake by other means (a due command), so the camera is already sending it.
WakeStep OnMetadata(const WakePolicy& policy, WakeState state, const std::string& image_name,
                    MetadataKind kind, bool already_asked);

// The image's last chunk arrived and it assembled into a good JPEG. others_receiving: the
// device's other images of this wake still arriving; while there are any, the camera still has
// pending images in this wake, so the answer is ACK_OK:true and never the sleep signal (the last
// of them gets it).
WakeStep OnImageComplete(const WakePolicy& policy, WakeState state, const std::string& image_name,
                         int others_receiving = 0);

// The image's chunks are all there but do not assemble into a good JPEG: it is not acknowledged
// (the camera keeps it for a later wake) and the conversation moves on.
WakeStep OnImageFailed(const WakePolicy& policy, WakeState state, const std::string& image_name,
                       int others_receiving = 0);

// "backlog", "capture" or "done"; and back. ParseWakePhase gives false for anything else.
const char* WakePhaseName(WakePhase phase) noexcept;
bool ParseWakePhase(const std::string& name, WakePhase* phase) noexcept;

}  // namespace devicewake::core
