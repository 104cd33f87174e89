// libFuzzer target: device payloads of every kind through ParseInbound. Any crash, sanitizer
// report or broken invariant (an accepted message outside the limits) is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base64.hpp"
#include "core/image_name.hpp"
#include "core/inbound_message.hpp"

using namespace devicewake::core;

namespace {

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

void CheckInvariants(const InboundMessage& m, const InboundLimits& limits) {
  if (const auto* r = std::get_if<Rejected>(&m)) {
    Check(!r->reason.empty());
  } else if (const auto* c = std::get_if<Chunk>(&m)) {
    Check(!c->bytes.empty() && c->bytes.size() <= limits.max_chunk_bytes);
    Check(c->chunk_id >= 0 && c->chunk_id < limits.max_chunks_per_image);
    Check(!c->total_chunks || c->chunk_id < *c->total_chunks);
    Check(ValidateImageName(c->image_name).empty());
    auto again = DecodeBase64(EncodeBase64(c->bytes));
    Check(again.ok && again.bytes == c->bytes);
  } else if (const auto* md = std::get_if<Metadata>(&m)) {
    Check(md->total_chunks >= 0 && md->total_chunks <= limits.max_chunks_per_image);
    Check(ValidateImageName(md->image_name).empty());
    Check(!md->image_size || (*md->image_size >= 0 && *md->image_size <= limits.max_image_bytes));
  } else if (const auto* h = std::get_if<Hello>(&m)) {
    Check(h->pending_list.size() <= limits.max_pending_list);
    for (const std::string& name : h->pending_list) Check(ValidateImageName(name).empty());
    Check(!h->wifi_rssi || (*h->wifi_rssi >= kMinRssiDbm && *h->wifi_rssi <= kMaxRssiDbm));
    Check(!h->battery_voltage ||
          (*h->battery_voltage >= kMinBatteryVolts && *h->battery_voltage <= kMaxBatteryVolts));
    for (const auto* v : {&h->firmware_version, &h->hardware_version})
      Check(!*v || (!(*v)->empty() && (*v)->size() <= 4 * kMaxVersionLength));
  } else if (const auto* t = std::get_if<Telemetry>(&m)) {
    Check(!t->wifi_rssi || (*t->wifi_rssi >= kMinRssiDbm && *t->wifi_rssi <= kMaxRssiDbm));
    Check(!t->battery_voltage ||
          (*t->battery_voltage >= kMinBatteryVolts && *t->battery_voltage <= kMaxBatteryVolts));
  }
  if (const auto* d = std::get_if<Hello>(&m)) Check(d->device_id == "B8F862F9C1C4");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view payload(reinterpret_cast<const char*>(data), size);
  const InboundLimits limits;
  for (InboundKind kind : {InboundKind::kStatus, InboundKind::kData, InboundKind::kAck}) {
    CheckInvariants(ParseInbound(kind, "B8F862F9C1C4", payload, limits), limits);
  }
  return 0;
}
