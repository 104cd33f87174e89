# Row-level security across companies on the Citus cluster: a viewer of one company sees its
# devices and their rows, never another company's, whichever node holds them; the policies run
# on the shards' nodes. (Citus runs a query's shard parts as the querying role: a role that uses
# the tables needs LOGIN and the nodes' credentials, here the cluster's password.)
source "$(dirname "$0")/lib.sh"
co() { qn 0 "$1"; }

co "INSERT INTO devicewake.companies (company_id, name) VALUES
      ('00000000-0000-4000-8000-0000000050c1', 'RLS North'), ('00000000-0000-4000-8000-0000000050c2', 'RLS South');
    INSERT INTO devicewake.sites (site_id, name, company_id) VALUES
      ('00000000-0000-4000-8000-0000000050b1', 'North site', '00000000-0000-4000-8000-0000000050c1'),
      ('00000000-0000-4000-8000-0000000050b2', 'South site', '00000000-0000-4000-8000-0000000050c2')" >/dev/null
for who in north south; do
  co "DROP ROLE IF EXISTS dw_rls_$who; CREATE ROLE dw_rls_$who LOGIN PASSWORD '$DW_PGPASSWORD' IN ROLE devicewake_viewer" >/dev/null 2>&1
done
co "INSERT INTO devicewake.users (user_id, role_name) VALUES
      ('00000000-0000-4000-8000-0000000050a1', 'dw_rls_north'), ('00000000-0000-4000-8000-0000000050a2', 'dw_rls_south');
    INSERT INTO devicewake.company_members VALUES
      ('00000000-0000-4000-8000-0000000050c1', '00000000-0000-4000-8000-0000000050a1'),
      ('00000000-0000-4000-8000-0000000050c2', '00000000-0000-4000-8000-0000000050a2')" >/dev/null
# 20 cameras a company (on both workers' shards), one unassigned; a command and an image each
for i in $(seq 1 41); do
  mac=$(printf 'AB50000000%02X' "$i")
  dev=$(co "SELECT devicewake._register_device('$mac', '$mac', 'test')")
  site=NULL
  [ "$i" -le 20 ] && site="'00000000-0000-4000-8000-0000000050b1'"
  [ "$i" -gt 20 ] && [ "$i" -le 40 ] && site="'00000000-0000-4000-8000-0000000050b2'"
  co "UPDATE devicewake.devices SET site_id = $site WHERE device_id = '$dev';
      INSERT INTO devicewake.device_commands (device_id, command_type) VALUES ('$dev', 'ping');
      INSERT INTO devicewake.device_images (device_id, image_name) VALUES ('$dev', 'rls.jpg')" >/dev/null
done
is "$(nodes_holding AB50)" 2 \
  "the cameras are on both workers"
as() { co "SET ROLE dw_rls_$1; $2"; }
for who in north south; do
  other=$([ $who = north ] && echo 'RLS South' || echo 'RLS North')
  is "$(as $who "SELECT count(*) FROM devicewake.devices WHERE device_mac LIKE 'AB50%'")" 20 "$who sees its 20 cameras"
  is "$(as $who "SELECT count(*) FROM devicewake.device_commands c JOIN devicewake.devices d USING (device_id) WHERE d.device_mac LIKE 'AB50%'")" 20 \
    "$who sees their 20 commands"
  is "$(as $who "SELECT count(*) FROM devicewake.device_images WHERE image_name = 'rls.jpg'")" 20 "$who sees their 20 images"
  is "$(as $who "SELECT count(*) FROM devicewake.companies WHERE name = '$other'")" 0 "$who does not see the other company"
  is "$(as $who "SELECT count(*) FROM devicewake.devices d JOIN devicewake.sites s USING (site_id)
                 WHERE s.company_id <> (SELECT company_id FROM devicewake.companies WHERE name LIKE 'RLS%')")" 0 \
    "$who sees no camera of another company"
done
is "$(as north "SELECT count(*) FROM devicewake.devices WHERE device_mac = 'AB5000000029'")" 0 "an unassigned camera is the admins' only"
echo "1..$DW_TAP_N"
[ "$DW_TAP_FAILED" -eq 0 ]
