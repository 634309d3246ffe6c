-- The entities people act on, as delivered by operator extracts (see docs/data-model.md).
-- Money columns hold fen (0.01 yuan) as integers. Foreign keys are checked at commit, so an
-- extract may list a group's members before the group itself.

CREATE TABLE branches (
    branch_id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    city TEXT NOT NULL
);

CREATE TABLE managers (
    manager_id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    branch_id TEXT NOT NULL REFERENCES branches (branch_id) DEFERRABLE INITIALLY DEFERRED,
    role TEXT NOT NULL,
    phone TEXT
);

CREATE TABLE plans (
    plan_id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    monthly_fee INTEGER NOT NULL,
    payment_type TEXT NOT NULL,
    network TEXT NOT NULL,
    data_mb INTEGER NOT NULL,
    voice_minutes INTEGER NOT NULL
);

CREATE TABLE customers (
    customer_id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    id_number TEXT,
    birthday DATE,
    branch_id TEXT NOT NULL REFERENCES branches (branch_id) DEFERRABLE INITIALLY DEFERRED,
    manager_id TEXT REFERENCES managers (manager_id) DEFERRABLE INITIALLY DEFERRED,
    vip_tier TEXT NOT NULL,
    group_id TEXT REFERENCES customers (customer_id) DEFERRABLE INITIALLY DEFERRED,
    is_key_person BOOLEAN NOT NULL,
    joined_on DATE NOT NULL
);
CREATE INDEX customers_branch ON customers (branch_id);
CREATE INDEX customers_manager ON customers (manager_id);
CREATE INDEX customers_group ON customers (group_id);

CREATE TABLE subscriptions (
    subscription_id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (customer_id) DEFERRABLE INITIALLY DEFERRED,
    msisdn TEXT NOT NULL UNIQUE,
    plan_id TEXT NOT NULL REFERENCES plans (plan_id) DEFERRABLE INITIALLY DEFERRED,
    status TEXT NOT NULL,
    activated_on DATE NOT NULL,
    contract_end DATE,
    device_model TEXT,
    device_since DATE,
    family_group_id TEXT,
    disconnected_on DATE
);
CREATE INDEX subscriptions_customer ON subscriptions (customer_id);

CREATE TABLE contracts (
    contract_id TEXT PRIMARY KEY NOT NULL,
    subscription_id TEXT NOT NULL REFERENCES subscriptions (subscription_id) DEFERRABLE INITIALLY DEFERRED,
    kind TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    monthly_commitment INTEGER,
    subsidy INTEGER,
    status TEXT NOT NULL
);
CREATE INDEX contracts_subscription ON contracts (subscription_id);

-- One row per extract ever imported; its presence makes a repeated import a no-op.
CREATE TABLE imports (
    extract_id TEXT PRIMARY KEY NOT NULL,
    imported_at TEXT NOT NULL,
    source TEXT NOT NULL,
    rows_json TEXT NOT NULL
);
