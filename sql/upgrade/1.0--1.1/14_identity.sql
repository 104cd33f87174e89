-- #14 items 6, 8, 9: identity is bound to the role's OID (a role dropped and created again under
-- the same name does not inherit the old one's user), JWT claims are believed only after the
-- session switched to a JWT role, and require_device_access costs the same for a hidden device as
-- for a missing one. Existing users rows are bound to the OID their role has now; a row whose role
-- no longer exists keeps its name and binds to nothing.
ALTER TABLE devicewake.users ADD COLUMN role_oid oid UNIQUE;
UPDATE devicewake.users u SET role_oid = r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = u.role_name;

-- A devicewake.users row names its role; the row is bound to that role's OID when it is written, so
-- a role dropped and created again under the same name is a stranger to it (#14 item 8). Raises
-- 42704 for a role that does not exist.
CREATE FUNCTION devicewake._users_bind_role() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    NEW.role_oid := NULL;
    IF NEW.role_name IS NOT NULL THEN
        SELECT r.oid INTO NEW.role_oid FROM pg_catalog.pg_roles r WHERE r.rolname = NEW.role_name;
        IF NEW.role_oid IS NULL THEN
            RAISE EXCEPTION 'role "%" does not exist', NEW.role_name
                USING ERRCODE = '42704', HINT = 'Create the role before mapping a user to it.';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER users_bind_role BEFORE INSERT OR UPDATE OF role_name, role_oid ON devicewake.users
    FOR EACH ROW EXECUTE FUNCTION devicewake._users_bind_role();
REVOKE ALL ON FUNCTION devicewake._users_bind_role() FROM PUBLIC;

-- The caller's user id. When the session switched (SET ROLE, as PostgREST's authenticator does
-- per request) from its login role to a role granted devicewake_jwt, it is the JWT subject,
-- request.jwt.claims ->> 'sub', when present. Otherwise, and when no subject is set, it is the
-- devicewake.users row bound to the OID of the caller's role. Any session may SET
-- request.jwt.claims, so the claims are believed only from a role that only a trusted
-- authenticator can switch to, never from a role that logs in as itself (#14 item 9). NULL when
-- there is no identity. Raises 28000 for a claims setting that is not JSON or a subject that is
-- not a UUID.
CREATE OR REPLACE FUNCTION devicewake.current_user_id() RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_role name := devicewake.caller_role();
    v_claims text;
    v_sub text;
BEGIN
    IF v_role <> session_user AND pg_catalog.pg_has_role(v_role, 'devicewake_jwt', 'MEMBER') THEN
        v_claims := nullif(current_setting('request.jwt.claims', true), '');
        IF v_claims IS NOT NULL THEN
            BEGIN
                v_sub := v_claims::jsonb ->> 'sub';
            EXCEPTION WHEN invalid_text_representation THEN
                RAISE EXCEPTION 'request.jwt.claims is not valid JSON' USING ERRCODE = '28000';
            END;
        END IF;
        IF v_sub IS NOT NULL THEN
            IF v_sub !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
                RAISE EXCEPTION 'JWT subject is not a user id'
                    USING ERRCODE = '28000', DETAIL = 'The "sub" claim must be a UUID.';
            END IF;
            RETURN v_sub::uuid;
        END IF;
    END IF;
    RETURN (SELECT u.user_id FROM devicewake.users u JOIN pg_catalog.pg_roles r ON r.oid = u.role_oid
            WHERE r.rolname = v_role);
END
$$;

-- Raises unless the device exists and the caller may act on it. A device the caller may not see
-- is reported exactly like a missing one, and both cost the same work (the existence and the
-- access check both run, whatever the first says), so neither the error nor its timing tells
-- whether another company's device id exists (#14 item 6; bench/oracle.sh measures it).
-- True when the caller may see and act on the device: fleet admins always; others when the
-- device's site belongs to one of their companies (an unassigned device: admins only). Never NULL.
-- One primary-key probe of the device and its site, whatever the size of the caller's fleet; the
-- caller's companies and admin flag are computed first, whether or not the device exists, so a
-- missing device costs what another company's does (#14 item 6).
CREATE OR REPLACE FUNCTION devicewake.can_access_device(p_device_id uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    -- (PL/pgSQL: Citus cannot plan a parameterised SQL function's query of a distributed table)
    v_companies uuid[] := ARRAY(SELECT devicewake.caller_company_ids());
    v_admin boolean := devicewake.caller_is_fleet_admin();
    v_company uuid;
BEGIN
    SELECT s.company_id INTO v_company
    FROM devicewake.devices d JOIN devicewake.sites s ON s.site_id = d.site_id
    WHERE d.device_id = p_device_id;
    RETURN v_admin OR coalesce(v_company = ANY (v_companies), false);
END
$$;

CREATE OR REPLACE FUNCTION devicewake.require_device_access(p_device_id uuid) RETURNS void
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    v_exists boolean;
    v_access boolean;
BEGIN
    IF p_device_id IS NULL THEN
        RAISE EXCEPTION 'device id must not be null' USING ERRCODE = '22004';
    END IF;
    v_exists := EXISTS (SELECT FROM devicewake.devices d WHERE d.device_id = p_device_id);
    v_access := devicewake.can_access_device(p_device_id);
    IF NOT v_exists OR v_access IS NOT TRUE THEN
        RAISE EXCEPTION 'device % does not exist', p_device_id USING ERRCODE = 'P0002';
    END IF;
END
$$;

-- cancel_command and acknowledge_command: the same access work for a missing command as for
-- another company's (#14 item 6).
CREATE OR REPLACE FUNCTION devicewake._lock_visible_command(p_command_id uuid,
                                                 OUT device_id uuid, OUT status text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    IF p_command_id IS NULL THEN
        RAISE EXCEPTION 'command id must not be null' USING ERRCODE = '22004';
    END IF;
    -- access is checked before locking: nobody may lock another company's rows. The check runs
    -- whether or not the command exists, so a missing command costs what another company's does
    -- (#14 item 6).
    SELECT c.device_id INTO device_id
    FROM devicewake.device_commands c WHERE c.command_id = p_command_id;
    IF devicewake.can_access_device(coalesce(device_id, p_command_id)) IS NOT TRUE
       OR device_id IS NULL THEN
        RAISE EXCEPTION 'command % does not exist', p_command_id USING ERRCODE = 'P0002';
    END IF;
    SELECT c.status INTO status
    FROM devicewake.device_commands c WHERE c.command_id = p_command_id FOR UPDATE;
END
$$;
