-- Issue 16: request_manual_wake(uuid, timestamptz) is the batch rule for a batch of one
-- (devicewake._request_manual_wakes, created by 16_3_manual_wakes.sql). The text is that of
-- sql/install/35_manual_wake.sql; CREATE OR REPLACE keeps its privileges.
CREATE OR REPLACE FUNCTION devicewake.request_manual_wake(p_device_id uuid, p_wake_at timestamptz)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    RETURN (SELECT w.command_id
            FROM devicewake._request_manual_wakes(ARRAY[p_device_id], p_wake_at, NULL) w);
END
$$;
