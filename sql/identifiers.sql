-- Device identifiers and time zone names: normalisation and every error a user can reach.
\set VERBOSITY terse
SELECT devicewake.normalize_mac('b8:f8:62:f9:c1:c4');
SELECT devicewake.normalize_mac('B8-F8-62-F9-C1-C4');
SELECT devicewake.normalize_mac('TEST-ESP32-002');
SELECT devicewake.normalize_mac('VIRTUAL:cam_7');
SELECT devicewake.normalize_mac(NULL) IS NULL AS null_in_null_out;
\set VERBOSITY default
SELECT devicewake.normalize_mac('B8F862F9C1');
SELECT devicewake.normalize_mac('ESP32CAM/+/cmd');
SELECT devicewake.normalize_mac('TEST-a/#');
\set VERBOSITY terse
-- device rows store the normalised identifier, whatever spelling was inserted
INSERT INTO devicewake.devices (device_mac) VALUES ('b8:f8:62:f9:c1:c4') RETURNING device_mac;
INSERT INTO devicewake.devices (device_mac) VALUES ('B8F862F9C1C4');
INSERT INTO devicewake.devices (device_mac) VALUES ('TEST-bad/topic');
-- time zones are checked by PostgreSQL's own database
INSERT INTO devicewake.sites (name, timezone) VALUES ('Nowhere', 'Mars/Olympus_Mons');
INSERT INTO devicewake.sites (name, timezone) VALUES ('Kathmandu', 'Asia/Kathmandu') RETURNING name, timezone;
SELECT devicewake.check_timezone('America/New_York'), devicewake.check_timezone(NULL);
