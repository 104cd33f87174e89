-- Views for DBAs and dashboards on uploads and commands (docs/design.md §5). security_invoker: a reader
-- sees through them exactly the rows the tables' policies let it see.

-- Per device: the yellow "[1 pending]" (uploads in flight) and red "[2 failed]" badges, and the
-- failed images with their retry count and reason (newest failure first).
CREATE VIEW devicewake.device_image_summary WITH (security_invoker = true) AS
SELECT d.device_id,
       d.device_mac,
       d.device_name,
       coalesce(c.pending_count, 0) AS pending_count,
       coalesce(c.failed_count, 0) AS failed_count,
       coalesce(c.failed_images, '[]'::jsonb) AS failed_images
FROM devicewake.devices d
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE i.status = 'receiving') AS pending_count,
           count(*) FILTER (WHERE i.status = 'failed') AS failed_count,
           jsonb_agg(jsonb_build_object(
                   'image_id', i.image_id, 'image_name', i.image_name,
                   'retry_count', i.retry_count, 'max_retries', i.max_retries,
                   'timeout_reason', i.timeout_reason, 'failed_at', i.failed_at)
               ORDER BY i.failed_at DESC NULLS LAST, i.image_name)
               FILTER (WHERE i.status = 'failed') AS failed_images
    FROM devicewake.device_images i
    WHERE i.device_id = d.device_id AND i.status IN ('receiving', 'failed')
) c ON true;

-- Exactly the images timeout_stale_images() would fail now, and what it would do with each.
CREATE VIEW devicewake.stale_images WITH (security_invoker = true) AS
SELECT i.image_id,
       i.device_id,
       d.device_mac,
       i.image_name,
       i.received_chunks,
       i.total_chunks,
       i.retry_count,
       i.max_retries,
       d.next_wake_at,
       now() - d.next_wake_at AS overdue_by,
       i.retry_count < i.max_retries AS will_queue_retry,
       i.retry_count >= i.max_retries - 1 AS will_raise_alert
FROM devicewake.device_images i
JOIN devicewake.devices d ON d.device_id = i.device_id
WHERE i.status = 'receiving' AND d.next_wake_at <= now();

-- Commands not yet final (pending or sent), in dispatch order. state: scheduled (not yet due),
-- due (pending, deliverable now), sent (published, awaiting the device's acknowledgement),
-- expired (past expires_at, the next sweep marks it). overdue_by: how long a due command has
-- waited since it became due.
CREATE VIEW devicewake.command_queue WITH (security_invoker = true) AS
SELECT c.command_id,
       c.device_id,
       d.device_mac,
       c.command_type,
       c.priority,
       c.status,
       CASE WHEN c.expires_at <= now() THEN 'expired'
            WHEN c.status = 'sent' THEN 'sent'
            WHEN coalesce(c.scheduled_for, c.issued_at) <= now() THEN 'due'
            ELSE 'scheduled' END AS state,
       c.status = 'pending' AND coalesce(c.scheduled_for, c.issued_at) <= now()
           AND c.expires_at > now() AS is_due,
       CASE WHEN c.status = 'pending' AND coalesce(c.scheduled_for, c.issued_at) <= now()
            THEN now() - coalesce(c.scheduled_for, c.issued_at) END AS overdue_by,
       now() - c.issued_at AS age,
       c.scheduled_for,
       c.expires_at,
       c.issued_at,
       c.delivered_at,
       c.retry_count,
       c.command_payload
FROM devicewake.device_commands c
JOIN devicewake.devices d ON d.device_id = c.device_id
-- (a wake conversation's message is done once sent: cameras do not acknowledge them)
WHERE c.status = 'pending' OR (c.status = 'sent' AND c.session_id IS NULL)
ORDER BY c.priority DESC, coalesce(c.scheduled_for, c.issued_at), c.issued_at;

GRANT SELECT ON devicewake.device_image_summary, devicewake.stale_images, devicewake.command_queue
    TO devicewake_viewer;
