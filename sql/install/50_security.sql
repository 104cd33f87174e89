-- Privileges and row-level security (docs/design.md §9, docs/security.md). Runs after every table,
-- function and view exists. The tables' owner (the superuser who created the extension, which is
-- also the worker's role) is not subject to RLS (ENABLE, not FORCE), nor are the SECURITY DEFINER
-- functions it owns: they check access themselves with devicewake.require_device_access.
--   viewer:   SELECT on the tables and views, rows of its companies only;
--   operator: the viewer's rows; writes only through SECURITY DEFINER functions;
--   admin:    every row; manages companies, users, memberships, sites and devices directly;
--   rejected_messages: admins only.

-- Nothing in the schema for PUBLIC: each function is granted to the roles that need it, where it
-- is defined; this also catches functions whose defining file forgot the REVOKE.
REVOKE ALL ON ALL TABLES IN SCHEMA devicewake FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA devicewake FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA devicewake FROM PUBLIC;
REVOKE ALL ON TYPE devicewake.time_zone_name FROM PUBLIC;
GRANT USAGE ON TYPE devicewake.time_zone_name TO devicewake_viewer;
-- used by CHECK constraints and domains, evaluated with the writer's privileges
GRANT EXECUTE ON FUNCTION devicewake.normalize_mac(text), devicewake.check_timezone(text)
    TO devicewake_viewer;

GRANT SELECT ON devicewake.companies, devicewake.users, devicewake.company_members,
    devicewake.sites, devicewake.devices, devicewake.device_wake_sessions,
    devicewake.device_images, devicewake.image_chunks, devicewake.device_commands,
    devicewake.device_alerts, devicewake.device_history,
    devicewake.manual_wake_overrides, devicewake.fleet_health
    TO devicewake_viewer;
GRANT SELECT ON devicewake.rejected_messages TO devicewake_admin;
GRANT INSERT, UPDATE, DELETE ON devicewake.companies, devicewake.users,
    devicewake.company_members, devicewake.sites, devicewake.devices TO devicewake_admin;

ALTER TABLE devicewake.companies ENABLE ROW LEVEL SECURITY;
ALTER TABLE devicewake.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE devicewake.company_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE devicewake.sites ENABLE ROW LEVEL SECURITY;
ALTER TABLE devicewake.devices ENABLE ROW LEVEL SECURITY;
ALTER TABLE devicewake.device_wake_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE devicewake.device_images ENABLE ROW LEVEL SECURITY;
ALTER TABLE devicewake.image_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE devicewake.device_commands ENABLE ROW LEVEL SECURITY;
ALTER TABLE devicewake.device_alerts ENABLE ROW LEVEL SECURITY;
ALTER TABLE devicewake.device_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE devicewake.rejected_messages ENABLE ROW LEVEL SECURITY;

-- Each policy tests its row's own key with a function (23_row_access.sql), without a subquery:
-- Citus refuses a policy that holds one (docs/design.md §10).

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
