-- The contact ledger 接触记录: every contact a campaign makes with a customer, on any channel,
-- one row each, so that the contact policy (caps, suppression after refusals) sees them all
-- whichever campaign made them. Times are China time, `YYYY-MM-DD HH:MM:SS`.
CREATE TABLE contact_ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id TEXT NOT NULL,
    subscription_id TEXT,
    channel TEXT NOT NULL,
    at TEXT NOT NULL,
    campaign_id TEXT,
    task_id BIGINT,
    user_id TEXT NOT NULL,
    -- The task outcome code the contact ended with.
    outcome TEXT NOT NULL,
    refused BOOLEAN NOT NULL,
    -- A bill or a notice rather than marketing: it passes caps and suppression.
    transactional BOOLEAN NOT NULL
);
CREATE INDEX contact_ledger_customer ON contact_ledger (customer_id, at);
CREATE INDEX contact_ledger_channel ON contact_ledger (channel, at);

-- Customers who asked not to be contacted for marketing 免打扰.
CREATE TABLE do_not_disturb (
    customer_id TEXT PRIMARY KEY NOT NULL,
    added_at TEXT NOT NULL,
    added_by TEXT NOT NULL,
    reason TEXT NOT NULL
);
