-- Retention cases 拆机挽留 (see src/cases.rs): a request to leave opens a case owned by whoever
-- received it first (首问制), worked by the first line, escalated to the retention desk,
-- with concessions given by level and, above the desk's limit, approved. Every change is one
-- transaction with its event row. Times are RFC 3339 (UTC) from the caller's clock; amounts
-- are integer fen.

CREATE TABLE retention_cases (
    case_id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    branch_id TEXT NOT NULL,
    -- The customer's manager when the case opened, for scope.
    manager_id TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('disconnect', 'port_out', 'contract_payoff')),
    status TEXT NOT NULL CHECK (status IN ('open', 'escalated', 'pending_approval', 'closed')),
    -- 首问负责人: the user who received the request first; never changes.
    owner_id TEXT NOT NULL,
    -- Where the request came in: store, hotline, outbound, manager.
    channel TEXT NOT NULL,
    reason TEXT NOT NULL,
    -- The line's monthly plan fee when the case opened, for revenue kept; NULL if unknown.
    monthly_fee_fen BIGINT,
    opened_at TEXT NOT NULL,
    escalated_at TEXT,
    escalated_by TEXT,
    -- Who at the retention desk took the case.
    desk_owner_id TEXT,
    closed_at TEXT,
    closed_by TEXT,
    outcome TEXT CHECK (outcome IS NULL OR outcome IN ('retained', 'downgraded', 'lost', 'withdrawn')),
    -- For a downgraded line: the cheaper plan's monthly fee.
    kept_fee_fen BIGINT,
    -- Grows by one with every change: a change applies only to the version it was decided on.
    version BIGINT NOT NULL DEFAULT 0,
    CHECK ((status = 'closed') = (outcome IS NOT NULL AND closed_at IS NOT NULL))
);
-- One case open per line: a second request to leave joins it (首问制: its owner stays).
CREATE UNIQUE INDEX retention_cases_one_open ON retention_cases (subscription_id) WHERE status <> 'closed';
CREATE INDEX retention_cases_branch ON retention_cases (branch_id, status);
CREATE INDEX retention_cases_closed ON retention_cases (closed_at);
CREATE INDEX retention_cases_opened ON retention_cases (opened_at);

-- Concessions (让利) offered or asked for on a case.
CREATE TABLE concessions (
    concession_id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id BIGINT NOT NULL REFERENCES retention_cases (case_id),
    kind TEXT NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    -- Who may give it: first_line, desk or approval.
    level TEXT NOT NULL CHECK (level IN ('first_line', 'desk', 'approval')),
    status TEXT NOT NULL
        CHECK (status IN ('offered', 'pending_approval', 'rejected', 'accepted', 'declined')),
    requested_by TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    approver_id TEXT,
    decided_at TEXT,
    note TEXT NOT NULL,
    -- An approver never approves their own request.
    CHECK (approver_id IS NULL OR approver_id <> requested_by)
);
CREATE INDEX concessions_case ON concessions (case_id);

-- Every change of a case, append-only: opened, joined, note, offer, decline, escalate, claim,
-- approve, reject, close.
CREATE TABLE case_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id BIGINT NOT NULL REFERENCES retention_cases (case_id),
    at TEXT NOT NULL,
    user_id TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    concession_id BIGINT REFERENCES concessions (concession_id),
    -- Where the person received the customer (for opened and joined), else empty.
    channel TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id);
