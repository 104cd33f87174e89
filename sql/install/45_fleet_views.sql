-- Dashboard views of docs/design.md §5 about devices themselves: who asked which device to wake
-- (manual_wake_overrides) and which devices need attention (fleet_health). Both run with the
-- caller's privileges (security_invoker), so row-level security shows each user its own fleet.

-- Devices with an active manual-wake override, who asked (user id and display name) and when,
-- and the newest set_wake_schedule command still pending for it (NULL once sent).
CREATE VIEW devicewake.manual_wake_overrides WITH (security_invoker = true) AS
SELECT d.device_id,
       d.device_mac,
       d.device_name,
       d.site_id,
       d.next_wake_at               AS wake_at,
       d.manual_wake_requested_by   AS requested_by,
       u.display_name               AS requested_by_name,
       d.manual_wake_requested_at   AS requested_at,
       c.command_id,
       c.status                     AS command_status,
       c.command_payload            AS command_payload
FROM devicewake.devices d
LEFT JOIN devicewake.users u ON u.user_id = d.manual_wake_requested_by
LEFT JOIN LATERAL (
    SELECT c.command_id, c.status, c.command_payload
    FROM devicewake.device_commands c
    WHERE c.device_id = d.device_id AND c.command_type = 'set_wake_schedule'
      AND c.status = 'pending'
    ORDER BY c.issued_at DESC, c.command_id
    LIMIT 1) c ON true
WHERE d.manual_wake_override;

-- Active devices that need attention, one row per device and reason:
--   missed_wake   next_wake_at is more than 15 minutes past and no HELLO came since it;
--   low_battery   battery_voltage below 3.4 V (a 1-cell Li-ion under load is nearly empty there);
--   offline       last seen more than 24 hours ago (or never, for a device registered that long ago).
-- details says by how much.
CREATE VIEW devicewake.fleet_health WITH (security_invoker = true) AS
SELECT d.device_id, d.device_mac, d.device_name, d.site_id, r.reason, r.details,
       d.next_wake_at, d.last_seen_at, d.battery_voltage
FROM devicewake.devices d
CROSS JOIN LATERAL (
    SELECT 'missed_wake'::text AS reason,
           'expected at ' || d.next_wake_at::text || ', overdue by '
               || date_trunc('second', now() - d.next_wake_at)::text AS details
    WHERE d.next_wake_at < now() - interval '15 minutes'
      AND (d.last_seen_at IS NULL OR d.last_seen_at < d.next_wake_at)
    UNION ALL
    SELECT 'low_battery', d.battery_voltage::text || ' V (threshold 3.4 V)'
    WHERE d.battery_voltage < 3.4
    UNION ALL
    SELECT 'offline',
           coalesce('last seen ' || date_trunc('second', now() - d.last_seen_at)::text || ' ago',
                    'never seen since registration ' || date_trunc('second', now() - d.created_at)::text || ' ago')
    WHERE coalesce(d.last_seen_at, d.created_at) < now() - interval '24 hours') r
WHERE d.is_active;

COMMENT ON VIEW devicewake.manual_wake_overrides IS
    'Devices with an active manual-wake override: requester, time, pending set_wake_schedule command';
COMMENT ON VIEW devicewake.fleet_health IS
    'Active devices with a missed wake (15 min grace), low battery (< 3.4 V) or offline (> 24 h)';
