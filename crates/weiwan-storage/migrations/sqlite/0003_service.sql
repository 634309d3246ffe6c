-- What the HTTP service keeps (see src/service.rs): users and their credentials, the audit
-- log, events received in real time, and the tasks alert rules raise with their outcomes.
-- Times are RFC 3339 text from the caller's clock, dates `YYYY-MM-DD` text, codes the
-- domain's code strings.

-- People and systems that may sign in. branch_id and manager_id name rows of branches and
-- managers but carry no foreign key: users may be created before any extract is imported,
-- and an extract re-imported later must not be refused because of who has an account.
CREATE TABLE users (
    user_id TEXT PRIMARY KEY NOT NULL,
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    branch_id TEXT,
    manager_id TEXT,
    -- Argon2 PHC string; empty for API clients, which sign in with tokens only.
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TEXT NOT NULL
);

-- Session cookies and API tokens, by the hex SHA-256 of the secret (never the secret itself).
CREATE TABLE credentials (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (user_id),
    kind TEXT NOT NULL CHECK (kind IN ('session', 'api')),
    label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    -- NULL never expires (API tokens, until revoked).
    expires_at TEXT
);
CREATE INDEX credentials_user ON credentials (user_id);

-- Who did or saw what, appended only; ids grow with every entry, so the newest has the
-- highest. actor is a user id or `system`, hence no foreign key.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor);
CREATE INDEX audit_log_object ON audit_log (object_id);

-- Events received in real time (API or event files), the same columns as the extracts'
-- `events` history (which lives in the lake) plus when and how each arrived. The event id
-- makes a replayed batch a no-op. subscription_id has no foreign key: the app checks the
-- line before applying a batch, and the record of what arrived must not depend on extracts.
CREATE TABLE service_events (
    event_id TEXT PRIMARY KEY NOT NULL,
    subscription_id TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    event_type TEXT NOT NULL,
    detail TEXT,
    received_at TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX service_events_subscription ON service_events (subscription_id);

-- Tasks raised by alert rules. (rule_id, subject, cause) identifies the alert, so raising it
-- again creates nothing. A task is owned by a manager or waits in a queue, never neither.
-- Customers and lines are referred to without foreign keys, like the users above: tasks
-- outlive the rows of any one extract.
CREATE TABLE tasks (
    task_id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    cause TEXT NOT NULL,
    category TEXT NOT NULL,
    action TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    subscription_id TEXT,
    branch_id TEXT NOT NULL,
    manager_id TEXT,
    queue TEXT,
    -- Listing sorts on it (urgent first), so only the known codes are allowed.
    priority TEXT NOT NULL CHECK (priority IN ('urgent', 'high', 'normal', 'low')),
    due_on TEXT NOT NULL,
    reason_zh TEXT NOT NULL,
    reason_en TEXT NOT NULL,
    created_at TEXT NOT NULL,
    -- The event that raised the task, if one did.
    source_event TEXT,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'claimed', 'done')),
    claimed_by TEXT,
    claimed_at TEXT,
    closed_at TEXT,
    -- The code of the latest outcome recorded (task_outcomes holds them all).
    last_outcome TEXT,
    UNIQUE (rule_id, subject, cause),
    CHECK (manager_id IS NOT NULL OR queue IS NOT NULL)
);
CREATE INDEX tasks_manager ON tasks (manager_id, status);
CREATE INDEX tasks_queue ON tasks (queue, branch_id, status);
CREATE INDEX tasks_subscription ON tasks (subscription_id);
CREATE INDEX tasks_customer ON tasks (customer_id);

-- What came of each contact, oldest first by id.
CREATE TABLE task_outcomes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id INTEGER NOT NULL REFERENCES tasks (task_id),
    at TEXT NOT NULL,
    user_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    note TEXT NOT NULL,
    -- 不轻易停机: the manager confirms that billing may now suspend the line.
    confirm_suspension BOOLEAN NOT NULL
);
CREATE INDEX task_outcomes_task ON task_outcomes (task_id);
