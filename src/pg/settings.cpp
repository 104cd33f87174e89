// Definition of the devicewake.* settings (DESIGN §7). Connection settings reload on SIGHUP (the
// worker reconnects); the database and the on/off switch need a restart.
#include "pg/settings.hpp"

#include "pg/postgres_headers.hpp"

extern "C" {
#include "utils/guc.h"
}

namespace devicewake::pg::settings {

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
int session_idle_timeout = 120;

namespace {

const struct config_enum_entry kDispatchPolicies[] = {
    {"when_due", kWhenDue, false}, {"on_wake", kOnWake, false}, {nullptr, 0, false}};

// A topic prefix is one or more topic levels: no wildcard, no empty level, no leading '$'.
bool CheckTopicPrefix(char** newval, void** extra, GucSource source) {
  const char* value = *newval;
  if (value == nullptr || value[0] == '\0') {
    GUC_check_errdetail("The topic prefix must not be empty.");
    return false;
  }
  if (value[0] == '$' || value[0] == '/' || value[strlen(value) - 1] == '/' ||
      strstr(value, "//") != nullptr || strpbrk(value, "+#") != nullptr) {
    GUC_check_errdetail(
        "The topic prefix must be topic levels without wildcards (+, #), empty levels or a "
        "leading $.");
    return false;
  }
  return true;
}

}  // namespace

void DefineSettings() {
  DefineCustomStringVariable("devicewake.database",
                             "Database the pg_devicewake worker connects to.", nullptr, &database,
                             "postgres", PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("devicewake.enabled", "Starts the pg_devicewake worker.", nullptr,
                           &enabled, true, PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
  DefineCustomStringVariable("devicewake.mqtt_host", "MQTT broker host name or address.", nullptr,
                             &mqtt_host, "127.0.0.1", PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("devicewake.mqtt_port", "MQTT broker port.", nullptr, &mqtt_port, 1883, 1,
                          65535, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomStringVariable(
      "devicewake.mqtt_client_id", "Stable MQTT client id (the broker keeps its session).", nullptr,
      &mqtt_client_id, "pg_devicewake", PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
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
  DefineCustomStringVariable("devicewake.topic_prefix", "First topic level of every device topic.",
                             nullptr, &topic_prefix, "ESP32CAM", PGC_SIGHUP, 0, CheckTopicPrefix,
                             nullptr, nullptr);
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
  DefineCustomIntVariable("devicewake.session_idle_timeout",
                          "Silence after which a camera is taken to be asleep and its wake "
                          "session ends.",
                          nullptr, &session_idle_timeout, 120, 5, 86400, PGC_SIGHUP, GUC_UNIT_S,
                          nullptr, nullptr, nullptr);
  MarkGUCPrefixReserved("devicewake");
}

}  // namespace devicewake::pg::settings
