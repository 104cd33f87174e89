-- Schema devicewake is created by CREATE EXTENSION (control file: schema = devicewake).
-- The three roles of docs/design.md §9 (and the devicewake_jwt marker) are cluster-wide: created once, kept across DROP/CREATE EXTENSION.

CREATE FUNCTION devicewake._assert_preloaded() RETURNS void
    LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'devicewake_assert_preloaded';
SELECT devicewake._assert_preloaded();

DO $roles$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'devicewake_viewer') THEN
        CREATE ROLE devicewake_viewer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'devicewake_operator') THEN
        CREATE ROLE devicewake_operator NOLOGIN IN ROLE devicewake_viewer;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'devicewake_admin') THEN
        CREATE ROLE devicewake_admin NOLOGIN IN ROLE devicewake_operator;
    END IF;
    -- Marker role: only roles granted it carry the caller's identity in request.jwt.claims
    -- (PostgREST/Supabase 'authenticated'). Every other role is identified by its own name, so
    -- a user who can SET request.jwt.claims cannot make itself someone else (docs/security.md).
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'devicewake_jwt') THEN
        CREATE ROLE devicewake_jwt NOLOGIN;
    END IF;
END
$roles$;

REVOKE ALL ON SCHEMA devicewake FROM PUBLIC;
GRANT USAGE ON SCHEMA devicewake TO devicewake_viewer;
