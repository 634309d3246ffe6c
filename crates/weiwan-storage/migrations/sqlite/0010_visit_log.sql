-- The visit log 拜访纪要 and visit plans of account managers (see src/visits.rs).
--
-- A note records one call or visit: when, how, what about, what was promised and the next
-- step. Only its author changes it, and every version, the first included, is kept in
-- visit_note_revisions, written in the same transaction as the note. Dates are China-time
-- calendar days; times RFC 3339 (UTC) from the caller's clock.

CREATE TABLE visit_notes (
    note_id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id TEXT NOT NULL,
    -- The customer's branch and manager when the note was written, for scope.
    branch_id TEXT NOT NULL,
    manager_id TEXT,
    author_id TEXT NOT NULL,
    -- The author's employee id, when the author is a manager: whose appraisal it counts for.
    author_manager_id TEXT,
    visited_on DATE NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('visit', 'call', 'message')),
    topic TEXT NOT NULL,
    promises TEXT NOT NULL,
    next_step TEXT NOT NULL,
    next_contact_on DATE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    -- 1 when written; grows by one with every edit.
    version BIGINT NOT NULL DEFAULT 1,
    -- The client's request id: a retried submission stores nothing twice.
    request_id TEXT UNIQUE
);
CREATE INDEX visit_notes_customer ON visit_notes (customer_id, visited_on);
CREATE INDEX visit_notes_author ON visit_notes (author_manager_id, visited_on);
CREATE INDEX visit_notes_branch ON visit_notes (branch_id, visited_on);

-- Every version of every note, append-only.
CREATE TABLE visit_note_revisions (
    note_id BIGINT NOT NULL REFERENCES visit_notes (note_id),
    version BIGINT NOT NULL,
    edited_at TEXT NOT NULL,
    edited_by TEXT NOT NULL,
    visited_on DATE NOT NULL,
    channel TEXT NOT NULL,
    topic TEXT NOT NULL,
    promises TEXT NOT NULL,
    next_step TEXT NOT NULL,
    next_contact_on DATE,
    PRIMARY KEY (note_id, version)
);

-- A manager's planned contacts for a month, generated from tier, value, risk and the quotas;
-- regenerating a month replaces that manager's plan for it whole.
CREATE TABLE visit_plans (
    month DATE NOT NULL,
    manager_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    branch_id TEXT NOT NULL,
    planned_on DATE NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('visit', 'call', 'message')),
    -- Why: reason codes separated by commas (quota, risk, value, next_step).
    reasons TEXT NOT NULL,
    -- 1 is the most important contact of the manager's month.
    rank BIGINT NOT NULL,
    generated_at TEXT NOT NULL,
    PRIMARY KEY (month, manager_id, customer_id, planned_on, channel)
);
CREATE INDEX visit_plans_customer ON visit_plans (customer_id, planned_on);
