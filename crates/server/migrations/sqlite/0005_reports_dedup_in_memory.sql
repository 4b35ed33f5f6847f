-- The report writer now finds the row of a failure seen again within the
-- dedup window in its own memory (rebuilt at start from the rows of the
-- current window, through reports_received), so the unique index, which
-- put every new failure on a random page, goes. One server writes reports
-- to a file (it locks the WAL); see ARCHITECTURE.md.
DROP INDEX reports_dedup;
