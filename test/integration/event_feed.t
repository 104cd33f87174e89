# The change feed across real sessions (issue 16): events_since never hands out a cursor that a
# transaction committing later could fall behind. T1 writes an event and stays open; T2 writes one
# after it and commits; a reader sees neither until T1 ends, then both, in order, and nothing
# twice. (Read by event_id alone, the reader would have taken T2's event, moved its cursor past
# T1's, and never seen it.) Also: a company's viewer pages through its own events only, with the
# cursor and the limit, as PostgREST's rpc would call it.
source "$(dirname "$0")/lib.sh"

fifo=$DW_RUN/feed_t1.fifo
t1out=$DW_RUN/feed_t1.out
mkfifo "$fifo"

q "INSERT INTO devicewake.companies (company_id, name) VALUES
     ('16000000-0000-4000-8000-0000000fee0a', 'Feed A'), ('16000000-0000-4000-8000-0000000fee0b', 'Feed B');
   INSERT INTO devicewake.sites (site_id, name, company_id) VALUES
     ('16000000-0000-4000-8000-0000000fe5a0', 'Feed site A', '16000000-0000-4000-8000-0000000fee0a'),
     ('16000000-0000-4000-8000-0000000fe5b0', 'Feed site B', '16000000-0000-4000-8000-0000000fee0b');
   INSERT INTO devicewake.devices (device_mac, site_id) VALUES
     ('TEST-FEED-A1', '16000000-0000-4000-8000-0000000fe5a0'), ('TEST-FEED-A2', '16000000-0000-4000-8000-0000000fe5a0'),
     ('TEST-FEED-B1', '16000000-0000-4000-8000-0000000fe5b0');
   DO \$\$ BEGIN
     IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dw_feed_viewer') THEN
       CREATE ROLE dw_feed_viewer NOLOGIN IN ROLE devicewake_viewer;
     END IF;
   END \$\$;
   INSERT INTO devicewake.users (user_id, role_name) VALUES ('16000000-0000-4000-8000-0000000fee01', 'dw_feed_viewer');
   INSERT INTO devicewake.company_members VALUES ('16000000-0000-4000-8000-0000000fee0a', '16000000-0000-4000-8000-0000000fee01')" >/dev/null
ok $? "two companies with devices, and a viewer of the first"
start=$(q "SELECT coalesce(max(event_id), 0) FROM devicewake.events")
feed() {  # feed AFTER: the feed's (device, type) lines after cursor AFTER, for the test's devices
  q "SELECT string_agg(d.device_mac || ' ' || e.event_type, ',' ORDER BY e.txid, e.event_id)
     FROM devicewake.events_since($1, 1000) e JOIN devicewake.devices d USING (device_id)
     WHERE d.device_mac LIKE 'TEST-FEED-%'"
}

# T1: a HELLO (device_awake) in a transaction that stays open
psql -X -q -A -t <"$fifo" >"$t1out" 2>&1 &
t1=$!
exec 3>"$fifo"
echo "BEGIN; SELECT devicewake.record_device_hello('TEST-FEED-A1') IS NOT NULL AS t1_wrote;" >&3
wait_text 10 "$t1out" t; ok $? "T1 wrote its event and stays open"
q "SELECT devicewake.record_device_hello('TEST-FEED-A2')" >/dev/null; ok $? "T2 writes an event after it and commits"
is "$(q "SELECT count(*) FROM devicewake.events e JOIN devicewake.devices d USING (device_id) WHERE d.device_mac = 'TEST-FEED-A2'")" 1 \
  "T2's event is committed and visible in the table"
is "$(feed "$start")" "" "events_since holds T2's event back while the older T1 is open"
echo "COMMIT;" >&3
exec 3>&-
wait "$t1"
is "$(feed "$start")" "TEST-FEED-A1 device_awake,TEST-FEED-A2 device_awake" "after T1 commits: both, T1's first"
last=$(q "SELECT e.event_id FROM devicewake.events_since($start, 1000) e JOIN devicewake.devices d USING (device_id)
          WHERE d.device_mac = 'TEST-FEED-A2'")
is "$(feed "$last")" "" "from the last cursor: nothing twice"

# a viewer through the function, as PostgREST's rpc calls it: its company only, paged
# (A1's second HELLO is the same wake, within session_idle_timeout: no new event)
q "SELECT devicewake.record_device_hello('TEST-FEED-B1'); SELECT devicewake.record_device_hello('TEST-FEED-A1')" >/dev/null
is "$(q "SELECT count(*) FROM devicewake.events e JOIN devicewake.devices d USING (device_id) WHERE d.device_mac = 'TEST-FEED-B1'")" 1 \
  "B1's wake is in the feed table"
as_viewer() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "SET ROLE dw_feed_viewer" -c "$1"; }
is "$(as_viewer "SELECT string_agg(event_type || ':' || (company_id = '16000000-0000-4000-8000-0000000fee0a'), ',' ORDER BY txid, event_id)
                 FROM devicewake.events_since(0)")" \
  "device_awake:true,device_awake:true" "the viewer reads its company's two events, not B's"
first=$(as_viewer "SELECT event_id FROM devicewake.events_since(0, 1)")
is "$(as_viewer "SELECT count(*) FROM devicewake.events_since($first, 1000)")" 1 "paging: after the first, one more"
is "$(as_viewer "SELECT count(*) FROM devicewake.events_since(0, 2)")" 2 "the limit holds (2 of 2)"
is "$(as_viewer "SELECT count(*) FROM devicewake.events_since(0, 1)")" 1 "the limit holds (1 of 2)"
done_testing
