-- The tests of the row-level security policies (50_security.sql and the files after it): whether the
-- caller sees a row of a company, a site, a person or a device, by that row's own key. A policy
-- calls one of them on its row's column and holds no subquery, which Citus refuses in a policy
-- (docs/design.md §10). Each is never NULL, and sees what caller_company_ids() and the functions
-- after it in 22_identity.sql list (a fleet admin's "everything" is the fleet_admin policies').
-- On Citus a policy runs with its row, on the row's node, and its function reads the identity
-- and reference tables there (and the device's own shard): Citus refuses such a nested read
-- unless citus.allow_nested_distributed_execution is on, so each sets it for itself (only reads:
-- a nested write is what that setting makes unsafe). Without Citus the setting is inert.

CREATE FUNCTION devicewake.caller_sees_company(p_company_id uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    SET citus.allow_nested_distributed_execution = on AS
$$
BEGIN
    RETURN EXISTS (SELECT FROM devicewake.company_members m
                   WHERE m.company_id = p_company_id AND m.user_id = devicewake.current_user_id());
END
$$;

CREATE FUNCTION devicewake.caller_sees_site(p_site_id uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    SET citus.allow_nested_distributed_execution = on AS
$$
BEGIN
    RETURN EXISTS (SELECT FROM devicewake.sites s
                   JOIN devicewake.company_members m ON m.company_id = s.company_id
                   WHERE s.site_id = p_site_id AND m.user_id = devicewake.current_user_id());
END
$$;

-- A device of a site of one of the caller's companies (an unassigned device: admins only).
CREATE FUNCTION devicewake.caller_sees_device(p_device_id uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    SET citus.allow_nested_distributed_execution = on AS
$$
BEGIN
    RETURN EXISTS (SELECT FROM devicewake.devices d
                   JOIN devicewake.sites s ON s.site_id = d.site_id
                   JOIN devicewake.company_members m ON m.company_id = s.company_id
                   WHERE d.device_id = p_device_id AND m.user_id = devicewake.current_user_id());
END
$$;

-- Oneself, and the people one shares a company with (names of who asked for a wake).
CREATE FUNCTION devicewake.caller_sees_user(p_user_id uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    SET citus.allow_nested_distributed_execution = on AS
$$
DECLARE
    v_me uuid := devicewake.current_user_id();
BEGIN
    RETURN coalesce(p_user_id = v_me, false)
        OR EXISTS (SELECT FROM devicewake.company_members mine
                   JOIN devicewake.company_members theirs ON theirs.company_id = mine.company_id
                   WHERE mine.user_id = v_me AND theirs.user_id = p_user_id);
END
$$;

REVOKE ALL ON FUNCTION devicewake.caller_sees_company(uuid), devicewake.caller_sees_site(uuid),
    devicewake.caller_sees_device(uuid), devicewake.caller_sees_user(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION devicewake.caller_sees_company(uuid), devicewake.caller_sees_site(uuid),
    devicewake.caller_sees_device(uuid), devicewake.caller_sees_user(uuid) TO devicewake_viewer;
