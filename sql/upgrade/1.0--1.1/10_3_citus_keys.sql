-- Issue 17: the tables of 1.0 made distributable on Citus (docs/design.md §10), with their rows in
-- place: every key and unique constraint of a device table includes device_id, image_chunks
-- carries its image's device_id, the foreign keys between device tables carry device_id (and none
-- sets a column of the key to NULL), a MAC is unique through devicewake.device_directory
-- (10_1_device_directory.sql, filled here from the devices there are), and the policies test
-- their row's key with a function of 10_2_row_access.sql instead of a subquery. Runs before the
-- parts that create tables referring to these keys (manual_wakes, campaign_targets).

-- the foreign keys on the keys that change go first
ALTER TABLE devicewake.device_images DROP CONSTRAINT device_images_session_id_fkey;
ALTER TABLE devicewake.image_chunks DROP CONSTRAINT image_chunks_image_id_fkey;
ALTER TABLE devicewake.device_alerts DROP CONSTRAINT device_alerts_image_id_fkey;

ALTER TABLE devicewake.device_wake_sessions
    DROP CONSTRAINT device_wake_sessions_pkey, ADD PRIMARY KEY (session_id, device_id);
ALTER TABLE devicewake.device_images
    DROP CONSTRAINT device_images_pkey, ADD PRIMARY KEY (image_id, device_id);
ALTER TABLE devicewake.device_commands
    DROP CONSTRAINT device_commands_pkey, ADD PRIMARY KEY (command_id, device_id);
ALTER TABLE devicewake.device_alerts
    DROP CONSTRAINT device_alerts_pkey, ADD PRIMARY KEY (alert_id, device_id);
ALTER TABLE devicewake.device_history
    DROP CONSTRAINT device_history_pkey, ADD PRIMARY KEY (history_id, device_id);

ALTER TABLE devicewake.image_chunks ADD COLUMN device_id uuid;
UPDATE devicewake.image_chunks ch SET device_id = i.device_id
FROM devicewake.device_images i WHERE i.image_id = ch.image_id;
ALTER TABLE devicewake.image_chunks ALTER COLUMN device_id SET NOT NULL,
    DROP CONSTRAINT image_chunks_pkey, ADD PRIMARY KEY (image_id, chunk_index, device_id);

ALTER TABLE devicewake.device_images ADD FOREIGN KEY (session_id, device_id)
    REFERENCES devicewake.device_wake_sessions (session_id, device_id);
ALTER TABLE devicewake.image_chunks ADD FOREIGN KEY (image_id, device_id)
    REFERENCES devicewake.device_images (image_id, device_id) ON DELETE CASCADE;
ALTER TABLE devicewake.device_alerts ADD FOREIGN KEY (image_id, device_id)
    REFERENCES devicewake.device_images (image_id, device_id) ON DELETE CASCADE;

DROP INDEX devicewake.device_alerts_image_attempt_idx;
CREATE UNIQUE INDEX device_alerts_image_attempt_idx
    ON devicewake.device_alerts (image_id, alert_type, attempt, device_id) WHERE resolved_at IS NULL;

-- a MAC is unique through the directory
INSERT INTO devicewake.device_directory (device_mac, device_id)
SELECT d.device_mac, d.device_id FROM devicewake.devices d;
ALTER TABLE devicewake.devices DROP CONSTRAINT devices_device_mac_key;
CREATE INDEX devices_mac_idx ON devicewake.devices (device_mac);

-- (the text of sql/install/33_device_registry.sql)
CREATE OR REPLACE FUNCTION devicewake._register_device(p_mac text, p_given text, p_source text) RETURNS uuid
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_device uuid;
BEGIN
    SELECT r.device_id INTO v_device FROM devicewake.device_directory r WHERE r.device_mac = p_mac;
    IF FOUND THEN
        IF EXISTS (SELECT FROM devicewake.devices d WHERE d.device_id = v_device) THEN
            RETURN v_device;
        END IF;
        -- the MAC of a deleted device is free again: on Citus its directory row outlives it (the
        -- trigger on a shard of devices cannot write the directory, a reference table)
        DELETE FROM devicewake.device_directory r WHERE r.device_mac = p_mac AND r.device_id = v_device;
    END IF;
    -- two first messages at once: one claims the MAC in the directory and records the
    -- registration, the other waits for it on the directory's key and then finds the row
    INSERT INTO devicewake.device_directory (device_mac, device_id) VALUES (p_mac, gen_random_uuid())
    ON CONFLICT (device_mac) DO NOTHING
    RETURNING device_id INTO v_device;
    IF FOUND THEN
        INSERT INTO devicewake.devices (device_id, device_mac) VALUES (v_device, p_mac);
        INSERT INTO devicewake.device_history (device_id, event_type, event_data)
        VALUES (v_device, 'device_registered',
                jsonb_build_object('device_mac', p_mac, 'given_as', p_given, 'source', p_source));
        RETURN v_device;
    END IF;
    SELECT r.device_id INTO v_device FROM devicewake.device_directory r WHERE r.device_mac = p_mac;
    RETURN v_device;
END
$$;

-- the policies of sql/install/50_security.sql
DROP POLICY fleet_admin_all ON devicewake.companies;
DROP POLICY fleet_admin_all ON devicewake.users;
DROP POLICY fleet_admin_all ON devicewake.company_members;
DROP POLICY fleet_admin_all ON devicewake.sites;
DROP POLICY fleet_admin_all ON devicewake.devices;
DROP POLICY fleet_admin_read ON devicewake.device_wake_sessions;
DROP POLICY fleet_admin_read ON devicewake.device_images;
DROP POLICY fleet_admin_read ON devicewake.image_chunks;
DROP POLICY fleet_admin_read ON devicewake.device_commands;
DROP POLICY fleet_admin_read ON devicewake.device_alerts;
DROP POLICY fleet_admin_read ON devicewake.device_history;
DROP POLICY fleet_admin_read ON devicewake.rejected_messages;
DROP POLICY member_read ON devicewake.companies;
DROP POLICY member_read ON devicewake.company_members;
DROP POLICY member_read ON devicewake.users;
DROP POLICY member_read ON devicewake.sites;
DROP POLICY member_read ON devicewake.devices;
DROP POLICY member_read ON devicewake.device_wake_sessions;
DROP POLICY member_read ON devicewake.device_images;
DROP POLICY member_read ON devicewake.image_chunks;
DROP POLICY member_read ON devicewake.device_commands;
DROP POLICY member_read ON devicewake.device_alerts;
DROP POLICY member_read ON devicewake.device_history;
-- Fleet admins: every row, and writes where the table grants them.
CREATE POLICY fleet_admin_all ON devicewake.companies TO devicewake_admin
    USING (devicewake.caller_is_fleet_admin()) WITH CHECK (devicewake.caller_is_fleet_admin());
CREATE POLICY fleet_admin_all ON devicewake.users TO devicewake_admin
    USING (devicewake.caller_is_fleet_admin()) WITH CHECK (devicewake.caller_is_fleet_admin());
CREATE POLICY fleet_admin_all ON devicewake.company_members TO devicewake_admin
    USING (devicewake.caller_is_fleet_admin()) WITH CHECK (devicewake.caller_is_fleet_admin());
CREATE POLICY fleet_admin_all ON devicewake.sites TO devicewake_admin
    USING (devicewake.caller_is_fleet_admin()) WITH CHECK (devicewake.caller_is_fleet_admin());
CREATE POLICY fleet_admin_all ON devicewake.devices TO devicewake_admin
    USING (devicewake.caller_is_fleet_admin()) WITH CHECK (devicewake.caller_is_fleet_admin());
CREATE POLICY fleet_admin_read ON devicewake.device_wake_sessions FOR SELECT TO devicewake_admin
    USING (devicewake.caller_is_fleet_admin());
CREATE POLICY fleet_admin_read ON devicewake.device_images FOR SELECT TO devicewake_admin
    USING (devicewake.caller_is_fleet_admin());
CREATE POLICY fleet_admin_read ON devicewake.image_chunks FOR SELECT TO devicewake_admin
    USING (devicewake.caller_is_fleet_admin());
CREATE POLICY fleet_admin_read ON devicewake.device_commands FOR SELECT TO devicewake_admin
    USING (devicewake.caller_is_fleet_admin());
CREATE POLICY fleet_admin_read ON devicewake.device_alerts FOR SELECT TO devicewake_admin
    USING (devicewake.caller_is_fleet_admin());
CREATE POLICY fleet_admin_read ON devicewake.device_history FOR SELECT TO devicewake_admin
    USING (devicewake.caller_is_fleet_admin());
CREATE POLICY fleet_admin_read ON devicewake.rejected_messages FOR SELECT TO devicewake_admin
    USING (devicewake.caller_is_fleet_admin());

-- Members: read the rows of their companies.
CREATE POLICY member_read ON devicewake.companies FOR SELECT TO devicewake_viewer
    USING (devicewake.caller_sees_company(company_id));
CREATE POLICY member_read ON devicewake.company_members FOR SELECT TO devicewake_viewer
    USING (devicewake.caller_sees_company(company_id));
-- oneself, and the people one shares a company with (names of who asked for a wake)
CREATE POLICY member_read ON devicewake.users FOR SELECT TO devicewake_viewer
    USING (devicewake.caller_sees_user(user_id));
CREATE POLICY member_read ON devicewake.sites FOR SELECT TO devicewake_viewer
    USING (devicewake.caller_sees_site(site_id));
CREATE POLICY member_read ON devicewake.devices FOR SELECT TO devicewake_viewer
    USING (devicewake.caller_sees_device(device_id));
CREATE POLICY member_read ON devicewake.device_wake_sessions FOR SELECT TO devicewake_viewer
    USING (devicewake.caller_sees_device(device_id));
CREATE POLICY member_read ON devicewake.device_images FOR SELECT TO devicewake_viewer
    USING (devicewake.caller_sees_device(device_id));
CREATE POLICY member_read ON devicewake.image_chunks FOR SELECT TO devicewake_viewer
    USING (devicewake.caller_sees_device(device_id));
CREATE POLICY member_read ON devicewake.device_commands FOR SELECT TO devicewake_viewer
    USING (devicewake.caller_sees_device(device_id));
CREATE POLICY member_read ON devicewake.device_alerts FOR SELECT TO devicewake_viewer
    USING (devicewake.caller_sees_device(device_id));
CREATE POLICY member_read ON devicewake.device_history FOR SELECT TO devicewake_viewer
    USING (devicewake.caller_sees_device(device_id));
