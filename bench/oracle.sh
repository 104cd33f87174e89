#!/usr/bin/env bash
# Existence oracle (#14 item 6): the time require_device_access and queue_image_retry take to
# refuse another company's device (or image) and a missing one, called by an operator of company
# A through the JWT path, 2,000 calls each, with 1,000 devices in each of two companies. The gap
# (hidden / missing) of the 1.1 functions is printed next to the 1.0 bodies, re-created for this
# run as temporary functions with the same owner and settings: the baseline of the same run.
# Prints figures and ratios; asserts nothing. Knob: DW_BENCH_CALLS (2000).
set -u
cd "$(dirname "$0")/.."
calls=${DW_BENCH_CALLS:-2000}
psql -X -q -A -t -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
CREATE ROLE dw_bench_op NOLOGIN IN ROLE devicewake_operator, devicewake_jwt;
INSERT INTO devicewake.companies (company_id, name) VALUES
    ('ba000000-0000-4000-8000-000000000001', 'Oracle A'), ('bb000000-0000-4000-8000-000000000001', 'Oracle B');
INSERT INTO devicewake.users (user_id, display_name) VALUES ('ba000000-0000-4000-8000-0000000000a1', 'A op');
INSERT INTO devicewake.company_members VALUES ('ba000000-0000-4000-8000-000000000001', 'ba000000-0000-4000-8000-0000000000a1');
INSERT INTO devicewake.sites (site_id, name, company_id) VALUES
    ('ba000000-0000-4000-8000-00000000051a', 'Oracle site A', 'ba000000-0000-4000-8000-000000000001'),
    ('bb000000-0000-4000-8000-00000000051b', 'Oracle site B', 'bb000000-0000-4000-8000-000000000001');
INSERT INTO devicewake.devices (device_mac, site_id)
SELECT 'A0' || lpad(upper(to_hex(i)), 10, '0'),
       CASE WHEN i % 2 = 0 THEN 'ba000000-0000-4000-8000-00000000051a'::uuid ELSE 'bb000000-0000-4000-8000-00000000051b'::uuid END
FROM generate_series(1, 2000) i;
INSERT INTO devicewake.device_images (device_id, image_name)
SELECT device_id, 'oracle.jpg' FROM devicewake.devices WHERE device_mac LIKE 'A0%';

-- the 1.0 bodies, for the baseline
CREATE FUNCTION pg_temp.require_device_access_1_0(p_device_id uuid) RETURNS void
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
\$\$
BEGIN
    IF NOT EXISTS (SELECT FROM devicewake.devices d WHERE d.device_id = p_device_id)
       OR devicewake.can_access_device(p_device_id) IS NOT TRUE THEN
        RAISE EXCEPTION 'device % does not exist', p_device_id USING ERRCODE = 'P0002';
    END IF;
END
\$\$;
CREATE FUNCTION pg_temp.image_access_1_0(p_image_id uuid) RETURNS void
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
\$\$
DECLARE
    v_device uuid;
BEGIN
    SELECT i.device_id INTO v_device FROM devicewake.device_images i WHERE i.image_id = p_image_id;
    IF v_device IS NULL OR devicewake.can_access_device(v_device) IS NOT TRUE THEN
        RAISE EXCEPTION 'image % does not exist', p_image_id USING ERRCODE = 'P0002';
    END IF;
END
\$\$;
-- µs per refused call of p_sql (with \$1 = each id of p_ids in turn)
CREATE FUNCTION pg_temp.us_per_call(p_sql text, p_ids uuid[]) RETURNS numeric LANGUAGE plpgsql AS
\$\$
DECLARE
    t0 timestamptz;
    id uuid;
BEGIN
    t0 := clock_timestamp();
    FOREACH id IN ARRAY p_ids LOOP
        BEGIN
            EXECUTE p_sql USING id;
        EXCEPTION WHEN no_data_found THEN NULL;
        END;
    END LOOP;
    RETURN round(extract(epoch FROM clock_timestamp() - t0) * 1e6 / cardinality(p_ids), 1);
END
\$\$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pg_temp TO dw_bench_op;
CREATE TEMP TABLE ids AS
SELECT (SELECT array_agg(d.device_id) FROM (SELECT device_id FROM devicewake.devices d
         WHERE d.site_id = 'bb000000-0000-4000-8000-00000000051b' ORDER BY random() LIMIT $calls) d) AS hidden_dev,
       (SELECT array_agg(gen_random_uuid()) FROM generate_series(1, $calls)) AS missing,
       (SELECT array_agg(i.image_id) FROM (SELECT i.image_id FROM devicewake.device_images i
         JOIN devicewake.devices d USING (device_id)
         WHERE d.site_id = 'bb000000-0000-4000-8000-00000000051b' ORDER BY random() LIMIT $calls) i) AS hidden_img;
GRANT SELECT ON ids TO dw_bench_op;
SET ROLE dw_bench_op;
SET request.jwt.claims = '{"sub":"ba000000-0000-4000-8000-0000000000a1"}';
-- warm up, then measure
SELECT pg_temp.us_per_call('SELECT devicewake.require_device_access(\$1)', missing) FROM ids \gset warm_
SELECT pg_temp.us_per_call('SELECT devicewake.require_device_access(\$1)', hidden_dev) AS dev_hidden,
       pg_temp.us_per_call('SELECT devicewake.require_device_access(\$1)', missing) AS dev_missing,
       pg_temp.us_per_call('SELECT pg_temp.require_device_access_1_0(\$1)', hidden_dev) AS dev_hidden_10,
       pg_temp.us_per_call('SELECT pg_temp.require_device_access_1_0(\$1)', missing) AS dev_missing_10,
       pg_temp.us_per_call('SELECT devicewake.queue_image_retry(\$1)', hidden_img) AS img_hidden,
       pg_temp.us_per_call('SELECT devicewake.queue_image_retry(\$1)', missing) AS img_missing,
       pg_temp.us_per_call('SELECT pg_temp.image_access_1_0(\$1)', hidden_img) AS img_hidden_10,
       pg_temp.us_per_call('SELECT pg_temp.image_access_1_0(\$1)', missing) AS img_missing_10
FROM ids \gset
\echo bench require_device_access calls=$calls hidden_us=:dev_hidden missing_us=:dev_missing (1.0 body: hidden_us=:dev_hidden_10 missing_us=:dev_missing_10)
\echo bench queue_image_retry calls=$calls hidden_us=:img_hidden missing_us=:img_missing (1.0 access step: hidden_us=:img_hidden_10 missing_us=:img_missing_10)
SELECT format('ratio require_device_access hidden/missing=%s (1.0: %s)', round(:dev_hidden / :dev_missing, 2), round(:dev_hidden_10 / :dev_missing_10, 2));
SELECT format('ratio queue_image_retry hidden/missing=%s (1.0 access step: %s)', round(:img_hidden / :img_missing, 2), round(:img_hidden_10 / :img_missing_10, 2));
RESET ROLE;
SQL
