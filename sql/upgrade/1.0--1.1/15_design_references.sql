-- #15: the catalog's comments cite the project's own docs/design.md instead of a design file outside
-- the repository (the text is that of sql/install/15_cron.sql).
COMMENT ON FUNCTION devicewake.fn_calculate_next_wake_time(timestamptz, text, text) IS
    'earliest instant after p_last_wake_at whose wall-clock minute in p_timezone matches p_cron_expression (docs/design.md §3)';
