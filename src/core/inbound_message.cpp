// Parsing of device → server messages (see inbound_message.hpp). nlohmann::json may throw; every
// throw is caught here and becomes a Rejected.
#include "core/inbound_message.hpp"

#include <cctype>
#include <cmath>
#include <initializer_list>
#include <nlohmann/json.hpp>

#include "core/base64.hpp"
#include "core/device_id.hpp"
#include "core/image_name.hpp"
#include "core/payload_text.hpp"
#include "core/wire_time.hpp"

namespace devicewake::core {
namespace {

using nlohmann::json;

// Thrown inside this file only, caught by ParseInbound.
struct Reject {
  std::string reason;
};

[[noreturn]] void Fail(std::string reason) { throw Reject{std::move(reason)}; }

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The body as the JSON text the server keeps; a body longer than max_stored_json_bytes is
// rejected (what a device sends is kept bounded, #14 item 2).
std::string StoredJson(const json& body, const char* what, const InboundLimits& limits) {
  std::string text = Dump(body);
  if (text.size() > limits.max_stored_json_bytes) {
    Fail(std::string(what) + " body is " + std::to_string(text.size()) +
         " bytes as JSON, more than the limit of " + std::to_string(limits.max_stored_json_bytes) +
         " (devicewake.max_stored_json_bytes)");
  }
  return text;
}

// Typed access to the fields of one JSON object, accepting synonyms and treating null as absent.
class Fields {
 public:
  explicit Fields(const json& object) : object_(object) {}

  // The first of names present with a non-null value; sets *found to its name.
  const json* Find(std::initializer_list<const char*> names, const char** found = nullptr) const {
    for (const char* name : names) {
      auto it = object_.find(name);
      if (it != object_.end() && !it->is_null()) {
        if (found) *found = name;
        return &*it;
      }
    }
    return nullptr;
  }

  bool Has(std::initializer_list<const char*> names) const { return Find(names) != nullptr; }

  std::optional<std::int64_t> Integer(std::initializer_list<const char*> names, std::int64_t min,
                                      std::int64_t max) const {
    const char* name = nullptr;
    const json* v = Find(names, &name);
    if (!v) return std::nullopt;
    return ToInteger(*v, name, min, max);
  }

  std::optional<double> Number(std::initializer_list<const char*> names) const {
    const char* name = nullptr;
    const json* v = Find(names, &name);
    if (!v) return std::nullopt;
    if (!v->is_number()) Fail(std::string(name) + " must be a number, got " + v->type_name());
    double d = v->get<double>();
    if (!std::isfinite(d)) Fail(std::string(name) + " must be a finite number");
    return d;
  }

  std::optional<std::string> String(std::initializer_list<const char*> names,
                                    std::size_t max_length) const {
    const char* name = nullptr;
    const json* v = Find(names, &name);
    if (!v) return std::nullopt;
    if (!v->is_string()) Fail(std::string(name) + " must be a string, got " + v->type_name());
    const std::string& s = v->get_ref<const std::string&>();
    if (s.size() > max_length) {
      Fail(std::string(name) + " is " + std::to_string(s.size()) +
           " bytes long, more than the limit of " + std::to_string(max_length));
    }
    for (char c : s) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        Fail(std::string(name) + " contains a control character");
    }
    return s;
  }

  static std::int64_t ToInteger(const json& v, const char* name, std::int64_t min,
                                std::int64_t max) {
    std::string range = " between " + std::to_string(min) + " and " + std::to_string(max);
    if (v.is_number_unsigned()) {
      std::uint64_t u = v.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(max) || (min > 0 && u < static_cast<std::uint64_t>(min)))
        Fail(std::string(name) + " must be an integer" + range + ", got " + std::to_string(u));
      return static_cast<std::int64_t>(u);
    }
    if (v.is_number_integer()) {
      std::int64_t i = v.get<std::int64_t>();
      if (i < min || i > max)
        Fail(std::string(name) + " must be an integer" + range + ", got " + std::to_string(i));
      return i;
    }
    if (v.is_number_float()) {
      double d = v.get<double>();
      if (!std::isfinite(d) || std::floor(d) != d)
        Fail(std::string(name) + " must be an integer, got " + Dump(v));
      if (d < static_cast<double>(min) || d > static_cast<double>(max)) {
        Fail(std::string(name) + " must be an integer" + range + ", got " + Dump(v));
      }
      return static_cast<std::int64_t>(d);
    }
    Fail(std::string(name) + " must be an integer, got " + v.type_name());
  }

 private:
  const json& object_;
};

constexpr std::initializer_list<const char*> kChunkCountNames = {"total_chunk_count",
                                                                 "total_chunks_count"};
constexpr std::initializer_list<const char*> kChunkSizeNames = {"max_chunk_size",
                                                                "max_chunks_size"};
constexpr std::initializer_list<const char*> kCaptureTimeNames = {"timestamp", "capture_timestamp",
                                                                  "capture_timeStamp"};
constexpr const char* kSensorNames[] = {"temperature", "humidity", "pressure", "gas_resistance"};

// Whether value is a number within the limits (the limits are inclusive).
bool NumberWithin(const json& value, double min, double max) {
  if (!value.is_number()) return false;
  double d = value.get<double>();
  return std::isfinite(d) && d >= min && d <= max;
}

std::int64_t RoundRssi(double rssi) { return static_cast<std::int64_t>(std::llround(rssi)); }

// Characters (UTF-8 code points) of text, which ValidateUtf8 has accepted.
std::size_t CharacterCount(const std::string& text) {
  std::size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

const char* const kRssiReason = "expected a number of dBm between -200 and 100";
const char* const kBatteryReason = "expected a number of volts between 0 and 100";

// wifi_rssi of a METADATA or telemetry message, rejected when out of range.
std::optional<std::int64_t> RoundedRssi(const Fields& f) {
  const json* v = f.Find({"wifi_rssi"});
  if (!v) return std::nullopt;
  if (!NumberWithin(*v, kMinRssiDbm, kMaxRssiDbm)) Fail(std::string("wifi_rssi: ") + kRssiReason);
  return RoundRssi(v->get<double>());
}

// battery_voltage of a telemetry message, rejected when out of range.
std::optional<double> BatteryVolts(const Fields& f) {
  const json* v = f.Find({"battery_voltage"});
  if (!v) return std::nullopt;
  if (!NumberWithin(*v, kMinBatteryVolts, kMaxBatteryVolts))
    Fail(std::string("battery_voltage: ") + kBatteryReason);
  return v->get<double>();
}

// Readings flat in the body or nested in sensor_data (nested wins when both are present).
SensorReadings ReadSensors(const json& body, json& sensor_object) {
  SensorReadings r;
  sensor_object = json::object();
  const Fields flat(body);
  const json* nested = flat.Find({"sensor_data"});
  if (nested && !nested->is_object())
    Fail(std::string("sensor_data must be an object, got ") + nested->type_name());
  std::optional<double>* slots[] = {&r.temperature, &r.humidity, &r.pressure, &r.gas_resistance};
  for (std::size_t i = 0; i < 4; ++i) {
    const char* name = kSensorNames[i];
    std::optional<double> value = flat.Number({name});
    if (nested) {
      std::optional<double> inner = Fields(*nested).Number({name});
      if (inner) value = inner;
    }
    *slots[i] = value;
  }
  if (nested) sensor_object = *nested;
  for (std::size_t i = 0; i < 4; ++i) {
    if (*slots[i] && !sensor_object.contains(kSensorNames[i]))
      sensor_object[kSensorNames[i]] = **slots[i];
  }
  return r;
}

void CheckBodyDeviceId(const Fields& f, std::string_view topic_id, std::size_t max_length) {
  std::optional<std::string> body_id = f.String({"device_id"}, max_length);
  if (!body_id) return;
  DeviceIdResult id = NormalizeDeviceId(*body_id);
  if (!id.ok)
    Fail("invalid device_id \"" + PrintableExcerpt(*body_id) + "\" in payload: " + id.error);
  if (id.value != topic_id) Fail("device_id in payload does not match topic");
}

std::string RequiredImageName(const Fields& f, const InboundLimits& limits) {
  // The length bound is applied by ValidateImageName; String() only bounds absurd sizes.
  std::optional<std::string> name = f.String({"image_name"}, limits.max_payload_bytes);
  if (!name) Fail("image_name is missing");
  std::string error = ValidateImageName(*name, limits.max_image_name_length);
  if (!error.empty()) Fail(error);
  return *name;
}

// A HELLO's fields. Every optional field is checked on its own: a bad one is noted in
// h.ignored and left out, never a reason to reject the HELLO (the wake must go on).
Hello ParseHello(const json& body, std::string device_id, const InboundLimits& limits) {
  const Fields f(body);
  Hello h;
  h.device_id = std::move(device_id);
  auto ignore = [&h](const char* field, std::string reason, const json& value) {
    h.ignored.push_back({field, std::move(reason), Dump(value)});
  };
  auto text = [&](const char* field, std::size_t min, std::size_t max,
                  const std::string& reason) -> std::optional<std::string> {
    const json* v = f.Find({field});
    if (!v) return std::nullopt;
    if (v->is_string()) {
      const std::string& s = v->get_ref<const std::string&>();
      std::size_t n = CharacterCount(s);
      bool control = false;
      for (char c : s) control |= static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
      if (n >= min && n <= max && !control) return s;
    }
    ignore(field, reason, *v);
    return std::nullopt;
  };
  h.status =
      text("status", 0, limits.max_text_length,
           "expected a string of at most " + std::to_string(limits.max_text_length) + " characters")
          .value_or("");
  if (const json* list = f.Find({"pending_list"})) {
    if (!list->is_array()) {
      ignore("pending_list", "expected an array of image names", *list);
    } else if (list->size() > limits.max_pending_list) {
      ignore("pending_list",
             "expected at most " + std::to_string(limits.max_pending_list) + " image names",
             json(list->size()));
    } else {
      for (const json& entry : *list) {
        std::string error = entry.is_string()
                                ? ValidateImageName(entry.get_ref<const std::string&>(),
                                                    limits.max_image_name_length)
                                : std::string("expected an image name (a string)");
        if (error.empty()) {
          h.pending_list.push_back(entry.get<std::string>());
        } else {
          ignore("pending_list", error, entry);
        }
      }
    }
  }
  h.pending_count = static_cast<std::int64_t>(h.pending_list.size());
  for (const char* field : {"pendingImg", "pending_count"}) {
    const json* v = f.Find({field});
    if (!v) continue;
    if (NumberWithin(*v, 0, static_cast<double>(limits.max_chunks_per_image)) &&
        std::floor(v->get<double>()) == v->get<double>()) {
      h.pending_count = static_cast<std::int64_t>(v->get<double>());
      break;
    }
    ignore(field,
           "expected a whole number from 0 to " + std::to_string(limits.max_chunks_per_image), *v);
  }
  const std::string version_reason =
      "expected a string of 1 to " + std::to_string(kMaxVersionLength) + " characters";
  h.firmware_version = text("firmware_version", 1, kMaxVersionLength, version_reason);
  h.hardware_version = text("hardware_version", 1, kMaxVersionLength, version_reason);
  if (const json* v = f.Find({"wifi_rssi"})) {
    if (NumberWithin(*v, kMinRssiDbm, kMaxRssiDbm)) {
      h.wifi_rssi = RoundRssi(v->get<double>());
    } else {
      ignore("wifi_rssi", kRssiReason, *v);
    }
  }
  if (const json* v = f.Find({"battery_voltage"})) {
    if (NumberWithin(*v, kMinBatteryVolts, kMaxBatteryVolts)) {
      h.battery_voltage = v->get<double>();
    } else {
      ignore("battery_voltage", kBatteryReason, *v);
    }
  }
  h.body_json = StoredJson(body, "HELLO", limits);
  return h;
}

Metadata ParseMetadata(const json& body, std::string device_id, const InboundLimits& limits) {
  const Fields f(body);
  Metadata m;
  m.device_id = std::move(device_id);
  m.image_name = RequiredImageName(f, limits);
  m.error = f.Integer({"error"}, INT32_MIN, INT32_MAX).value_or(0);
  m.total_chunks = *f.Integer(kChunkCountNames, m.error == 0 ? 1 : 0, limits.max_chunks_per_image);
  m.image_size = f.Integer({"image_size"}, 0, limits.max_image_bytes);
  std::optional<std::int64_t> max_chunk_size =
      f.Integer(kChunkSizeNames, 1, static_cast<std::int64_t>(limits.max_chunk_bytes));
  if (m.image_size && max_chunk_size && *m.image_size > m.total_chunks * *max_chunk_size) {
    Fail("image_size " + std::to_string(*m.image_size) + " does not fit in " +
         std::to_string(m.total_chunks) + " chunks of " + std::to_string(*max_chunk_size) +
         " bytes");
  }
  const char* time_name = nullptr;
  if (const json* t = f.Find(kCaptureTimeNames, &time_name)) {
    if (t->is_string()) {
      const std::string& s = t->get_ref<const std::string&>();
      if (s.size() > limits.max_text_length) Fail(std::string(time_name) + " is too long");
      m.captured_at_micros = ParseCaptureTimeMicros(s);
    } else if (t->is_number()) {
      m.captured_at_micros = EpochCountToMicros(t->get<double>());
    } else {
      Fail(std::string(time_name) + " must be a string or a number, got " + t->type_name());
    }
  }
  json sensor_object;
  ReadSensors(body, sensor_object);
  m.sensor_json = Dump(sensor_object);
  m.body_json = StoredJson(body, "METADATA", limits);
  return m;
}

Chunk ParseChunk(const json& body, std::string device_id, const InboundLimits& limits) {
  const Fields f(body);
  Chunk c;
  c.device_id = std::move(device_id);
  c.image_name = RequiredImageName(f, limits);
  c.chunk_id = *f.Integer({"chunk_id"}, 0, limits.max_chunks_per_image - 1);
  c.total_chunks = f.Integer(kChunkCountNames, 1, limits.max_chunks_per_image);
  if (c.total_chunks && c.chunk_id >= *c.total_chunks) {
    Fail("chunk_id " + std::to_string(c.chunk_id) + " is out of range for " +
         std::to_string(*c.total_chunks) + " chunks");
  }
  c.max_chunk_size =
      f.Integer(kChunkSizeNames, 1, static_cast<std::int64_t>(limits.max_chunk_bytes));
  const json* payload = f.Find({"payload"});
  if (!payload) Fail("payload is missing");
  if (!payload->is_string())
    Fail(std::string("payload must be a base64 string, got ") + payload->type_name());
  std::size_t limit =
      c.max_chunk_size ? static_cast<std::size_t>(*c.max_chunk_size) : limits.max_chunk_bytes;
  Base64Result decoded = DecodeBase64(payload->get_ref<const std::string&>(), limit);
  if (!decoded.ok) Fail("payload: " + decoded.error);
  if (decoded.bytes.empty()) Fail("payload is empty");
  c.bytes = std::move(decoded.bytes);
  return c;
}

Telemetry ParseTelemetry(const json& body, std::string device_id, const InboundLimits& limits) {
  const Fields f(body);
  Telemetry t;
  t.device_id = std::move(device_id);
  json sensor_object;
  t.sensors = ReadSensors(body, sensor_object);
  t.battery_voltage = BatteryVolts(f);
  t.wifi_rssi = RoundedRssi(f);
  if (t.sensors.Empty() && !t.battery_voltage && !t.wifi_rssi) {
    Fail(
        "data message is neither metadata (no total_chunk_count), a chunk (no chunk_id) nor "
        "telemetry "
        "(no sensor reading)");
  }
  t.telemetry_json = StoredJson(body, "telemetry", limits);
  return t;
}

bool IsHexDigit(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Checks a UUID and returns it lower-case; field names it in the reason ("command_id",
// "command_ack.command_id").
std::string CanonicalUuid(const std::string& s, const char* field) {
  bool ok = s.size() == 36;
  for (std::size_t i = 0; ok && i < s.size(); ++i) {
    ok = (i == 8 || i == 13 || i == 18 || i == 23) ? s[i] == '-' : IsHexDigit(s[i]);
  }
  if (!ok) Fail(std::string(field) + " \"" + PrintableExcerpt(s) + "\" is not a UUID");
  return Lower(s);
}

// The status words firmware versions put in an object command_ack (compared in lower case).
constexpr const char* kAckStatusWords[] = {"acknowledged", "ack",       "ok",      "success",
                                           "done",         "completed", "received"};

// A string field of an object command_ack; reasons name it "command_ack.<name>".
std::optional<std::string> AckObjectString(const Fields& inner, const char* name,
                                           const InboundLimits& limits) {
  try {
    return inner.String({name}, limits.max_text_length);
  } catch (const Reject& r) {
    Fail("command_ack." + r.reason);
  }
}

// The object form: {"command_id":"<uuid>","status":"acknowledged"}, both optional; other keys
// are ignored. Returns the object's command_id, if any.
std::optional<std::string> ParseAckObject(const json& ack, const InboundLimits& limits) {
  const Fields inner(ack);
  std::optional<std::string> status = AckObjectString(inner, "status", limits);
  if (status) {
    std::string lower = Lower(*status);
    bool known = false;
    for (const char* word : kAckStatusWords) known = known || lower == word;
    if (!known) {
      Fail("command_ack.status \"" + PrintableExcerpt(*status) +
           "\" is not an acknowledgement (expected acknowledged, ack, ok, success, done, completed "
           "or received)");
    }
  }
  std::optional<std::string> id = AckObjectString(inner, "command_id", limits);
  if (!id) return std::nullopt;
  return CanonicalUuid(*id, "command_ack.command_id");
}

InboundMessage ParseAck(const json& body, std::string device_id, const InboundLimits& limits) {
  const Fields f(body);
  const json* ack = f.Find({"command_ack"});
  if (!ack) {
    if (f.Has({"ACK_OK"})) return ServerEcho{"ACK_OK"};
    if (f.Has({"missing_chunks"})) return ServerEcho{"missing_chunks"};
    Fail("ack message has no command_ack");
  }
  std::optional<std::string> object_id;
  if (ack->is_object()) {
    object_id = ParseAckObject(*ack, limits);
  } else if (ack->is_string()) {
    const std::string& value = ack->get_ref<const std::string&>();
    if (Lower(value) != "acknowledged")
      Fail("command_ack must be \"acknowledged\", got \"" + PrintableExcerpt(value) + "\"");
  } else {
    Fail(std::string("command_ack must be a string or an object, got ") + ack->type_name());
  }
  CommandAck a;
  a.device_id = std::move(device_id);
  if (std::optional<std::string> id = f.String({"command_id"}, limits.max_text_length))
    a.command_id = CanonicalUuid(*id, "command_id");
  if (object_id) {
    if (a.command_id && *a.command_id != *object_id) {
      Fail("command_ack.command_id \"" + *object_id + "\" does not match command_id \"" +
           *a.command_id + "\"");
    }
    a.command_id = std::move(object_id);
  }
  return a;
}

// The JSON text of text after the checks every payload gets (UTF-8, curly quotes, depth, keys).
json ParseCheckedJson(std::string_view payload, const InboundLimits& limits) {
  std::string error = ValidateUtf8(payload);
  if (!error.empty()) Fail(error);
  std::string text = ReplaceCurlyQuotes(payload);
  error = CheckJsonDepth(text, limits.max_json_depth);
  if (!error.empty()) Fail(error);
  error = CheckJsonKeys(text, limits.max_json_keys);
  if (!error.empty()) Fail(error);
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    Fail("payload is not valid JSON (at byte " + std::to_string(e.byte) + ")");
  } catch (const json::out_of_range&) {
    Fail("payload is not valid JSON (a number is out of range)");
  }
}

// Strings this long are cut out before parsing (CutTopLevelString): a chunk's payload.
constexpr std::size_t kCutStringBytes = 256;

// ParseCheckedJson, quicker for a chunk: its long "payload" string is cut out, the rest parsed,
// the string put back. Any failure is reported from the whole text, so messages (and their byte
// offsets) are the same as without the cut.
json ParseJsonText(std::string_view payload, const InboundLimits& limits) {
  CutString cut = CutTopLevelString(payload, "payload", kCutStringBytes);
  if (cut.found) {
    std::optional<json> body;
    try {
      body = ParseCheckedJson(cut.rest, limits);
    } catch (const Reject&) {
    }
    if (body && body->is_object()) {
      (*body)["payload"] = std::string(cut.value);
      return std::move(*body);
    }
  }
  return ParseCheckedJson(payload, limits);
}

InboundMessage ParseOrThrow(InboundKind kind, std::string_view topic_id, std::string_view payload,
                            const InboundLimits& limits) {
  DeviceIdResult id = NormalizeDeviceId(topic_id);
  if (!id.ok || id.value != topic_id) Fail("device id from the topic is not normalised");
  if (payload.empty()) Fail("payload is empty");
  if (payload.size() > limits.max_payload_bytes) {
    Fail("payload is " + std::to_string(payload.size()) + " bytes, more than the limit of " +
         std::to_string(limits.max_payload_bytes));
  }
  json body = ParseJsonText(payload, limits);
  if (!body.is_object())
    Fail(std::string("payload must be a JSON object, got ") + body.type_name());
  const Fields f(body);
  CheckBodyDeviceId(f, topic_id, limits.max_text_length);
  std::string device_id(topic_id);
  switch (kind) {
    case InboundKind::kStatus:
      return ParseHello(body, std::move(device_id), limits);
    case InboundKind::kAck:
      return ParseAck(body, std::move(device_id), limits);
    case InboundKind::kData:
      if (f.Has({"chunk_id"})) return ParseChunk(body, std::move(device_id), limits);
      if (f.Has(kChunkCountNames)) return ParseMetadata(body, std::move(device_id), limits);
      if (f.Has({"image_name", "payload", "image_size", "max_chunk_size", "max_chunks_size"})) {
        Fail(
            "data message has image fields but neither chunk_id nor a chunk count "
            "(total_chunk_count)");
      }
      return ParseTelemetry(body, std::move(device_id), limits);
  }
  Fail("unknown message kind");
}

}  // namespace

InboundMessage ParseInbound(InboundKind kind, std::string_view device_id_from_topic,
                            std::string_view payload, const InboundLimits& limits) {
  try {
    return ParseOrThrow(kind, device_id_from_topic, payload, limits);
  } catch (const Reject& r) {
    return Rejected{r.reason};
  } catch (const std::bad_alloc&) {
    return Rejected{"out of memory while parsing the payload"};
  } catch (const std::exception& e) {
    return Rejected{std::string("payload could not be parsed: ") + e.what()};
  } catch (...) {
    return Rejected{"payload could not be parsed"};
  }
}

InboundMessage ParseHelloBody(std::string_view device_id, std::string_view json_text,
                              const InboundLimits& limits) {
  try {
    json body = ParseJsonText(json_text, limits);
    if (!body.is_object()) {
      json raw = json::object();
      raw["raw"] = body;
      Hello h = ParseHello(raw, std::string(device_id), limits);
      h.ignored.insert(h.ignored.begin(), {"(payload)", "not a JSON object", Dump(body)});
      return h;
    }
    Hello h = ParseHello(body, std::string(device_id), limits);
    auto id = body.find("device_id");
    if (id != body.end() && !id->is_null()) {
      DeviceIdResult given =
          id->is_string() ? NormalizeDeviceId(id->get_ref<const std::string&>()) : DeviceIdResult{};
      if (!given.ok || given.value != device_id)
        h.ignored.push_back({"device_id", "does not name the device of the topic", Dump(*id)});
    }
    return h;
  } catch (const Reject& r) {
    return Rejected{r.reason};
  } catch (...) {
    return Rejected{"payload could not be parsed"};
  }
}

std::string IgnoredFieldsJson(const std::vector<IgnoredField>& ignored) {
  try {
    json list = json::array();
    for (const IgnoredField& i : ignored) {
      list.push_back(
          {{"field", i.field}, {"reason", i.reason}, {"value", json::parse(i.value_json)}});
    }
    return Dump(list);
  } catch (...) {
    return "[]";
  }
}

const char* InboundMessageName(const InboundMessage& message) noexcept {
  static constexpr const char* kNames[] = {"hello",       "metadata",    "chunk",   "telemetry",
                                           "command_ack", "server_echo", "rejected"};
  return message.index() < 7 ? kNames[message.index()] : "unknown";
}

}  // namespace devicewake::core
