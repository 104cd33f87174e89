-- The row triggers of 1.0 that keep stored values canonical become C functions (the texts of
-- sql/install/25_row_triggers.sql): the same triggers, without a PL/pgSQL call and a search_path
-- save/restore per row. CREATE OR REPLACE keeps the triggers that use them and their privileges.
CREATE OR REPLACE FUNCTION devicewake._devices_before_write() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'devicewake_devices_before_write';
CREATE OR REPLACE FUNCTION devicewake._touch_updated_at() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'devicewake_touch_updated_at';
