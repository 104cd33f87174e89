// Definition of the devicewake.* settings (docs/design.md §7). Connection settings reload on SIGHUP
// (the worker reconnects); the database, the worker count and the on/off switch need a restart.
#include "pg/settings.hpp"

#include <cctype>
#include <climits>
#include <cstdio>
#include <string>

#include "core/cron_schedule.hpp"
#include "core/topic.hpp"
#include "pg/postgres_headers.hpp"

extern "C" {
#include "utils/guc.h"
}

namespace devicewake::pg::settings {

int workers = 1;
char* database = nullptr;
char* mqtt_host = nullptr;
int mqtt_port = 1883;
char* mqtt_client_id = nullptr;
char* mqtt_username = nullptr;
char* mqtt_password_file = nullptr;
char* mqtt_tls_ca_file = nullptr;
char* mqtt_tls_cert_file = nullptr;
char* mqtt_tls_key_file = nullptr;
int mqtt_keepalive = 60;
char* topic_prefix = nullptr;
int dispatch_policy = kWhenDue;
int batch_size = 500;
bool enabled = true;
int publish_timeout = 30;
int chunk_quiet_period = 10;
int max_resend_requests = 3;
int session_idle_timeout = 120;
int backlog_mode = kSendAllPending;
int captures_per_wake = 1;
char* default_wake_schedule = nullptr;
bool allow_separated_mac_topics = false;
int max_message_bytes = 256 * 1024;
int max_json_keys = 256;
int max_stored_json_bytes = 16 * 1024;
int max_field_length = 256;
int max_image_bytes = 16 * 1024 * 1024;
int max_device_bytes_in_flight = 64 * 1024 * 1024;
bool auto_register = true;
int max_registrations_per_minute = 100;
int max_unassigned_devices = 10000;
int rejected_retention = 7 * 24 * 3600;

namespace {

const struct config_enum_entry kDispatchPolicies[] = {
    {"when_due", kWhenDue, false}, {"on_wake", kOnWake, false}, {nullptr, 0, false}};

const struct config_enum_entry kBacklogModes[] = {{"send_all_pending", kSendAllPending, false},
                                                  {"send_image", kSendImage, false},
                                                  {nullptr, 0, false}};

// Hands a core validator's reason to PostgreSQL as the setting's error detail (a full sentence).
// Called by GUC check hooks: no C++ object is alive when GUC_check_errdetail runs.
template <typename Validate>
bool CheckWith(const char* value, Validate&& validate) {
  char detail[600] = "";
  bool ok = false;
  try {
    std::string reason = validate(value == nullptr ? "" : value);
    ok = reason.empty();
    if (!ok) {
      reason[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(reason[0])));
      snprintf(detail, sizeof detail, "%s.", reason.c_str());
    }
  } catch (...) {
    snprintf(detail, sizeof detail, "The value could not be checked.");
  }
  if (!ok) GUC_check_errdetail("%s", detail);
  return ok;
}

// devicewake.topic_prefix: a comma-separated list the core accepts (the worker uses the core's
// own parse of it, so the setting can never hold what the worker would refuse).
bool CheckTopicPrefix(char** newval, void** extra, GucSource source) {
  return CheckWith(*newval, [](const char* v) { return core::ParseTopicPrefixList(v).error; });
}

bool CheckDefaultWakeSchedule(char** newval, void** extra, GucSource source) {
  return CheckWith(*newval, [](const char* v) {
    core::CronParseResult r = core::ValidateCron(v);
    return r.ok ? std::string() : r.message;
  });
}

// The bounds on what devices send (#14 items 2-4). Those read by the ingest SQL are PGC_SUSET: a
// superuser may try a value in a session, the worker uses the server's.
void DefineDeviceLimits() {
  DefineCustomIntVariable("devicewake.max_message_bytes",
                          "Largest inbound MQTT payload parsed; larger ones are rejected (a "
                          "bounded excerpt is kept).",
                          nullptr, &max_message_bytes, 256 * 1024, 1024, 64 * 1024 * 1024,
                          PGC_SIGHUP, GUC_UNIT_BYTE, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("devicewake.max_json_keys",
                          "Most object keys, at all depths, in one inbound message.", nullptr,
                          &max_json_keys, 256, 8, 100000, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("devicewake.max_stored_json_bytes",
                          "Largest JSON body of a HELLO, METADATA or telemetry message that is "
                          "kept (device_images.metadata, sessions, history).",
                          nullptr, &max_stored_json_bytes, 16 * 1024, 256, 16 * 1024 * 1024,
                          PGC_SIGHUP, GUC_UNIT_BYTE, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("devicewake.max_field_length",
                          "Longest text field (status, versions, ids, capture time) of an "
                          "inbound message.",
                          nullptr, &max_field_length, 256, 16, 65536, PGC_SIGHUP, 0, nullptr,
                          nullptr, nullptr);
  DefineCustomIntVariable("devicewake.max_image_bytes",
                          "Largest image: announced image_size, and the running byte total of "
                          "its chunks (with or without image_size).",
                          nullptr, &max_image_bytes, 16 * 1024 * 1024, 1024, 64 * 1024 * 1024,
                          PGC_SUSET, GUC_UNIT_BYTE, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("devicewake.max_device_bytes_in_flight",
                          "Chunk bytes one device may have stored for images not yet complete.",
                          nullptr, &max_device_bytes_in_flight, 64 * 1024 * 1024, 1024, INT_MAX,
                          PGC_SUSET, GUC_UNIT_BYTE, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("devicewake.auto_register",
                           "Registers an unknown device heard over MQTT as unassigned.", nullptr,
                           &auto_register, true, PGC_SUSET, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("devicewake.max_registrations_per_minute",
                          "Unknown devices auto-registered per minute at most.", nullptr,
                          &max_registrations_per_minute, 100, 0, 1000000, PGC_SUSET, 0, nullptr,
                          nullptr, nullptr);
  DefineCustomIntVariable("devicewake.max_unassigned_devices",
                          "Unassigned devices (no site) at most; past it none is auto-registered.",
                          nullptr, &max_unassigned_devices, 10000, 0, 10000000, PGC_SUSET, 0,
                          nullptr, nullptr, nullptr);
  DefineCustomIntVariable("devicewake.rejected_retention",
                          "Age after which the sweep deletes rejected_messages rows (0: keep "
                          "them).",
                          nullptr, &rejected_retention, 7 * 24 * 3600, 0, INT_MAX, PGC_SUSET,
                          GUC_UNIT_S, nullptr, nullptr, nullptr);
}

}  // namespace

void DefineSettings() {
  DefineCustomStringVariable("devicewake.database",
                             "Database the pg_devicewake worker connects to.", nullptr, &database,
                             "postgres", PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("devicewake.workers",
                          "Background workers: each claims the commands of its hash share of "
                          "devices and applies the messages of its hash share.",
                          nullptr, &workers, 1, 1, kMaxWorkers, PGC_POSTMASTER, 0, nullptr, nullptr,
                          nullptr);
  DefineCustomBoolVariable("devicewake.enabled", "Starts the pg_devicewake worker.", nullptr,
                           &enabled, true, PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
  DefineCustomStringVariable("devicewake.mqtt_host", "MQTT broker host name or address.", nullptr,
                             &mqtt_host, "127.0.0.1", PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("devicewake.mqtt_port", "MQTT broker port.", nullptr, &mqtt_port, 1883, 1,
                          65535, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomStringVariable(
      "devicewake.mqtt_client_id",
      "Stable MQTT client id (the broker keeps its session); empty: pg_devicewake_ and the "
      "cluster's system identifier.",
      nullptr, &mqtt_client_id, "", PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomStringVariable("devicewake.mqtt_username", "MQTT user name (empty: anonymous).",
                             nullptr, &mqtt_username, "", PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomStringVariable(
      "devicewake.mqtt_password_file",
      "File holding the MQTT password; readable only by the server's OS user.", nullptr,
      &mqtt_password_file, "", PGC_SIGHUP, GUC_SUPERUSER_ONLY, nullptr, nullptr, nullptr);
  DefineCustomStringVariable(
      "devicewake.mqtt_tls_ca_file", "CA certificate file; setting it turns TLS on.", nullptr,
      &mqtt_tls_ca_file, "", PGC_SIGHUP, GUC_SUPERUSER_ONLY, nullptr, nullptr, nullptr);
  DefineCustomStringVariable("devicewake.mqtt_tls_cert_file", "Client certificate file for TLS.",
                             nullptr, &mqtt_tls_cert_file, "", PGC_SIGHUP, GUC_SUPERUSER_ONLY,
                             nullptr, nullptr, nullptr);
  DefineCustomStringVariable("devicewake.mqtt_tls_key_file", "Client key file for TLS.", nullptr,
                             &mqtt_tls_key_file, "", PGC_SIGHUP, GUC_SUPERUSER_ONLY, nullptr,
                             nullptr, nullptr);
  DefineCustomIntVariable("devicewake.mqtt_keepalive", "MQTT keepalive interval.", nullptr,
                          &mqtt_keepalive, 60, 5, 3600, PGC_SIGHUP, GUC_UNIT_S, nullptr, nullptr,
                          nullptr);
  DefineCustomStringVariable(
      "devicewake.topic_prefix",
      "Topic prefixes of device topics, comma-separated; replies use the one the device used.",
      nullptr, &topic_prefix, "ESP32CAM", PGC_SIGHUP, 0, CheckTopicPrefix, nullptr, nullptr);
  DefineCustomBoolVariable(
      "devicewake.allow_separated_mac_topics",
      "Accepts device topics whose MAC level is not canonical (B8:F8:… or lower case).", nullptr,
      &allow_separated_mac_topics, false, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomEnumVariable("devicewake.backlog_mode",
                           "How a camera is asked for the images it holds: send_all_pending "
                           "(firmware 3.5.0 and later) or send_image one name at a time.",
                           nullptr, &backlog_mode, kSendAllPending, kBacklogModes, PGC_SIGHUP, 0,
                           nullptr, nullptr, nullptr);
  DefineCustomIntVariable("devicewake.captures_per_wake",
                          "capture_image requests per wake (devices.captures_per_wake overrides).",
                          nullptr, &captures_per_wake, 1, 0, 10, PGC_SIGHUP, 0, nullptr, nullptr,
                          nullptr);
  DefineCustomStringVariable("devicewake.default_wake_schedule",
                             "Cron schedule (UTC) of devices without a schedule of their own or "
                             "their site's.",
                             nullptr, &default_wake_schedule, "0 */3 * * *", PGC_SIGHUP, 0,
                             CheckDefaultWakeSchedule, nullptr, nullptr);
  DefineCustomEnumVariable("devicewake.dispatch_policy",
                           "when_due publishes commands when due; on_wake only while the device "
                           "is awake.",
                           nullptr, &dispatch_policy, kWhenDue, kDispatchPolicies, PGC_SIGHUP, 0,
                           nullptr, nullptr, nullptr);
  DefineCustomIntVariable("devicewake.batch_size",
                          "Commands claimed, or messages applied, per worker transaction.", nullptr,
                          &batch_size, 500, 1, 100000, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("devicewake.publish_timeout",
                          "Time a published command may wait for its PUBACK before the attempt "
                          "counts as failed.",
                          nullptr, &publish_timeout, 30, 1, 3600, PGC_SIGHUP, GUC_UNIT_S, nullptr,
                          nullptr, nullptr);
  DefineCustomIntVariable("devicewake.chunk_quiet_period",
                          "Silence after which an incomplete upload is asked for its missing "
                          "chunks.",
                          nullptr, &chunk_quiet_period, 10, 1, 3600, PGC_SIGHUP, GUC_UNIT_S,
                          nullptr, nullptr, nullptr);
  DefineCustomIntVariable("devicewake.max_resend_requests",
                          "Missing-chunk requests per upload before the upload is left to the "
                          "sweep.",
                          nullptr, &max_resend_requests, 3, 0, 100, PGC_SIGHUP, 0, nullptr, nullptr,
                          nullptr);
  DefineCustomIntVariable("devicewake.session_idle_timeout",
                          "Silence after which a camera is taken to be asleep and its wake "
                          "session ends.",
                          nullptr, &session_idle_timeout, 120, 5, 86400, PGC_SIGHUP, GUC_UNIT_S,
                          nullptr, nullptr, nullptr);
  DefineDeviceLimits();
  MarkGUCPrefixReserved("devicewake");
}

}  // namespace devicewake::pg::settings
