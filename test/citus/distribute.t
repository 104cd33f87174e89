# devicewake.distribute_on_citus() on the coordinator: every device table distributed by device_id
# in one co-location group, companies, sites, the identity tables, the device directory and
# campaigns reference tables; a second call changes nothing.
source "$(dirname "$0")/lib.sh"

is "$(qn 0 "SELECT count(*) FROM devicewake.distribute_on_citus()")" 16 "distribute_on_citus() distributes 16 tables"
is "$(qn 0 "SELECT string_agg(logicalrelid::text, ',' ORDER BY logicalrelid::text) FROM pg_dist_partition
            WHERE partmethod = 'n' AND logicalrelid::text LIKE 'devicewake.%'")" \
  "devicewake.campaigns,devicewake.companies,devicewake.company_members,devicewake.device_directory,devicewake.sites,devicewake.users" \
  "companies, sites, the identity tables, the directory and campaigns are reference tables"
is "$(qn 0 "SELECT count(*) || ' ' || count(DISTINCT colocationid) || ' ' || bool_and(column_to_column_name(logicalrelid, partkey) = 'device_id')
            FROM pg_dist_partition WHERE partmethod = 'h' AND logicalrelid::text LIKE 'devicewake.%'")" \
  "10 1 true" "10 device tables distributed by device_id, all co-located"
is "$(qn 0 "SELECT count(DISTINCT nodeport) FROM pg_dist_shard_placement p JOIN pg_dist_shard s USING (shardid)
            WHERE s.logicalrelid = 'devicewake.devices'::regclass")" 2 "the devices' shards are on both workers"
is "$(qn 0 "SELECT count(*) FROM devicewake.distribute_on_citus()")" 0 "a second call distributes nothing"
echo "1..$DW_TAP_N"
[ "$DW_TAP_FAILED" -eq 0 ]
