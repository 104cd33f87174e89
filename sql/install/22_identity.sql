-- Caller identity and device access (DESIGN §9). Every function that acts on a device calls
-- devicewake.require_device_access(device_id) first; identities are never taken from parameters.

-- The database role acting: SET ROLE (PostgREST switches role per request) survives SECURITY
-- DEFINER, which changes current_user but not the role setting; otherwise the login role.
CREATE FUNCTION devicewake.caller_role() RETURNS name
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS
$$
    SELECT coalesce(nullif(current_setting('role'), 'none'), session_user)::name
$$;

-- The caller's user id: the JWT subject (request.jwt.claims ->> 'sub', as PostgREST and Supabase
-- set it) when present, otherwise the devicewake.users row mapped to the caller's role; NULL when
-- neither exists. A malformed subject is an error (28000), never silently ignored.
CREATE FUNCTION devicewake.current_user_id() RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_claims text := nullif(current_setting('request.jwt.claims', true), '');
    v_sub text;
BEGIN
    IF v_claims IS NOT NULL THEN
        v_sub := v_claims::jsonb ->> 'sub';
    END IF;
    IF v_sub IS NOT NULL THEN
        IF v_sub !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
            RAISE EXCEPTION 'JWT subject is not a user id'
                USING ERRCODE = '28000', DETAIL = 'The "sub" claim must be a UUID.';
        END IF;
        RETURN v_sub::uuid;
    END IF;
    RETURN (SELECT u.user_id FROM devicewake.users u WHERE u.role_name = devicewake.caller_role());
END
$$;

-- True when the caller sees every device: superusers and members of devicewake_admin.
CREATE FUNCTION devicewake.caller_is_fleet_admin() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
    SELECT r.rolsuper OR pg_has_role(r.oid, 'devicewake_admin', 'MEMBER')
    FROM pg_roles r WHERE r.rolname = devicewake.caller_role()
$$;

-- The companies the caller belongs to.
CREATE FUNCTION devicewake.caller_company_ids() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
    SELECT m.company_id FROM devicewake.company_members m
    WHERE m.user_id = devicewake.current_user_id()
$$;

-- True when the caller may see and act on the device: fleet admins always; others when the
-- device's site belongs to one of their companies.
CREATE FUNCTION devicewake.can_access_device(p_device_id uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
    SELECT devicewake.caller_is_fleet_admin()
        OR EXISTS (SELECT FROM devicewake.devices d
                   JOIN devicewake.sites s ON s.site_id = d.site_id
                   WHERE d.device_id = p_device_id
                     AND s.company_id IN (SELECT devicewake.caller_company_ids()))
$$;

-- Raises unless the device exists and the caller may act on it. A device the caller may not see
-- is reported exactly like a missing one, so ids of other companies' devices leak nothing.
CREATE FUNCTION devicewake.require_device_access(p_device_id uuid) RETURNS void
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    IF p_device_id IS NULL THEN
        RAISE EXCEPTION 'device id must not be null' USING ERRCODE = '22004';
    END IF;
    IF NOT EXISTS (SELECT FROM devicewake.devices d WHERE d.device_id = p_device_id)
       OR NOT devicewake.can_access_device(p_device_id) THEN
        RAISE EXCEPTION 'device % does not exist', p_device_id USING ERRCODE = 'P0002';
    END IF;
END
$$;

REVOKE ALL ON FUNCTION devicewake.current_user_id(), devicewake.caller_is_fleet_admin(),
    devicewake.caller_company_ids(), devicewake.can_access_device(uuid),
    devicewake.require_device_access(uuid), devicewake.caller_role() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION devicewake.current_user_id(), devicewake.caller_is_fleet_admin(),
    devicewake.caller_company_ids(), devicewake.can_access_device(uuid),
    devicewake.require_device_access(uuid), devicewake.caller_role() TO devicewake_viewer;
