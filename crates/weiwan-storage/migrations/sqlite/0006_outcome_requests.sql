-- The client's id for an outcome: sending the same outcome again (a retry after a timeout, a
-- double click) records nothing twice. NULL for outcomes sent without one.
ALTER TABLE task_outcomes ADD COLUMN request_id TEXT;
CREATE UNIQUE INDEX task_outcomes_request ON task_outcomes (request_id);
