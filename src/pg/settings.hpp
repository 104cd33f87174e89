// The devicewake.* settings (docs/design.md §7), defined in _PG_init and read by the worker and SQL
// API.
#pragma once

namespace devicewake::pg::settings {

enum DispatchPolicy { kWhenDue = 0, kOnWake = 1 };
enum BacklogMode { kSendAllPending = 0, kSendImage = 1 };

// devicewake.workers: background workers started at server start (restart to change), each owning
// the devices whose device_id hashes to its index modulo workers (docs/design.md §10).
inline constexpr int kMaxWorkers = 32;
extern int workers;

extern char* database;
extern char* mqtt_host;
extern int mqtt_port;
extern char* mqtt_client_id;
extern char* mqtt_username;
extern char* mqtt_password_file;
extern char* mqtt_tls_ca_file;
extern char* mqtt_tls_cert_file;
extern char* mqtt_tls_key_file;
extern int mqtt_keepalive;
extern char* topic_prefix;
extern int dispatch_policy;
extern int batch_size;
extern bool enabled;
extern int publish_timeout;
extern int chunk_quiet_period;
extern int max_resend_requests;
extern int session_idle_timeout;
extern int backlog_mode;
extern int captures_per_wake;
extern char* default_wake_schedule;
extern bool allow_separated_mac_topics;
// What a device can make the server keep or process (#14 items 2-4, docs/security.md). The first
// four bound the parser (src/core InboundLimits); the others are read by the ingest SQL.
extern int max_message_bytes;
extern int max_json_keys;
extern int max_stored_json_bytes;
extern int max_field_length;
extern int max_image_bytes;
extern int max_device_bytes_in_flight;
extern bool auto_register;
extern int max_registrations_per_minute;
extern int max_unassigned_devices;
extern int rejected_retention;

// Defines every setting and reserves the "devicewake" prefix. Called once from _PG_init.
void DefineSettings();

}  // namespace devicewake::pg::settings
