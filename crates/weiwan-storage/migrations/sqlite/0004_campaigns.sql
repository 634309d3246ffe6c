-- The offer catalog 政策库 and retention campaigns with their holdouts (see src/campaign.rs).
-- Plans and offers are kept as JSON documents (weiwan-decision's types), with the columns
-- that transactions check or lists sort on beside them. Amounts are integer fen.

-- Offers. spent_fen grows with every take-up and may never pass the budget: the update
-- that takes it checks, and so does the constraint.
CREATE TABLE offers (
    offer_id TEXT PRIMARY KEY NOT NULL,
    definition TEXT NOT NULL,
    budget_fen BIGINT,
    spent_fen BIGINT NOT NULL DEFAULT 0,
    active BOOLEAN NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CHECK (budget_fen IS NULL OR spent_fen <= budget_fen)
);

-- Campaigns, every one kept (the scheme library 方案库). approvals counts the levels that
-- approved in the current round; a rejection sets it back to 0.
CREATE TABLE campaigns (
    campaign_id TEXT PRIMARY KEY NOT NULL,
    plan TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('draft', 'submitted', 'approved', 'running', 'paused', 'ended')),
    approvals BIGINT NOT NULL DEFAULT 0,
    approvals_required BIGINT NOT NULL,
    budget_fen BIGINT NOT NULL,
    spent_fen BIGINT NOT NULL DEFAULT 0,
    -- The holdout draw's seed: the same members and seed draw the same control group.
    seed BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    cloned_from TEXT,
    -- Set when it starts running: the date of the member list and of the draw.
    executed_on TEXT,
    CHECK (spent_fen <= budget_fen)
);

-- Every change of a campaign: creation, edits, submissions, each approval level with its
-- comment, rejections, execution, pauses, the end.
CREATE TABLE campaign_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id TEXT NOT NULL REFERENCES campaigns (campaign_id),
    at TEXT NOT NULL,
    user_id TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    -- The approval level an approval or rejection was given at; 0 otherwise.
    level BIGINT NOT NULL,
    comment TEXT NOT NULL
);
CREATE INDEX campaign_history_campaign ON campaign_history (campaign_id);

-- Who a campaign drew, in which arm, with the offer a treated member gets (the offer a
-- control member would have got, for the evaluation's record).
CREATE TABLE campaign_members (
    campaign_id TEXT NOT NULL REFERENCES campaigns (campaign_id),
    subscription_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    vip_tier TEXT NOT NULL,
    branch_id TEXT NOT NULL,
    manager_id TEXT,
    arm TEXT NOT NULL CHECK (arm IN ('treated', 'control')),
    offer_id TEXT NOT NULL,
    PRIMARY KEY (campaign_id, subscription_id)
);
CREATE INDEX campaign_members_subscription ON campaign_members (subscription_id);

-- Lines held out as a control group, until a date. A line is in at most one holdout: the
-- primary key is what keeps two campaigns' control groups apart, and no campaign draws a
-- line held out by another (nor one a running campaign holds).
CREATE TABLE holdouts (
    subscription_id TEXT PRIMARY KEY NOT NULL,
    campaign_id TEXT NOT NULL REFERENCES campaigns (campaign_id),
    until TEXT NOT NULL
);
CREATE INDEX holdouts_campaign ON holdouts (campaign_id);

-- Offers taken up (accepted on a campaign task), with what each cost.
CREATE TABLE takeups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id TEXT NOT NULL REFERENCES campaigns (campaign_id),
    offer_id TEXT NOT NULL REFERENCES offers (offer_id),
    subscription_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    task_id BIGINT NOT NULL REFERENCES tasks (task_id),
    channel TEXT NOT NULL,
    user_id TEXT NOT NULL,
    at TEXT NOT NULL,
    -- The offer keeps the customer until this date; offers it excludes are refused before.
    until TEXT NOT NULL,
    cost_fen BIGINT NOT NULL,
    UNIQUE (campaign_id, subscription_id)
);
CREATE INDEX takeups_subscription ON takeups (subscription_id);
