-- devicewake.distribute_on_citus() on a server without Citus (docs/design.md §10): a clear error,
-- and who may call it.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(4);

SELECT function_returns('devicewake', 'distribute_on_citus', ARRAY[]::text[], 'setof regclass');
SELECT throws_ok('SELECT * FROM devicewake.distribute_on_citus()',
    '42704', 'extension "citus" is not installed in this database',
    'without Citus, distribute_on_citus() says so');
SELECT ok(NOT has_function_privilege('devicewake_admin', 'devicewake.distribute_on_citus()', 'EXECUTE'),
    'only the extension''s owner distributes it (not even devicewake_admin)');
SELECT is((SELECT array_agg(table_name::text ORDER BY table_name::text) FILTER (WHERE reference)
           FROM devicewake._citus_tables()),
    ARRAY['devicewake.campaigns', 'devicewake.companies', 'devicewake.company_members',
          'devicewake.device_directory', 'devicewake.sites', 'devicewake.users'],
    'the reference tables: companies, sites, the identity tables, the directory, campaigns');

SELECT * FROM finish();
ROLLBACK;
