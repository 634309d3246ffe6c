-- Group customers 集团客户 and clubs 俱乐部 (see src/groups.rs and src/clubs.rs). Times are
-- RFC 3339 (UTC) from the caller's clock. Every change is one transaction with its audit entry.

-- A key person's 关键人 influence on their group's decision, as the group's manager judges it.
-- Who is a key person is the extract's (customers.is_key_person); how much they sway the group
-- is kept here, because CRM does not know it and managers change it after visits.
CREATE TABLE key_person_influence (
    customer_id TEXT PRIMARY KEY NOT NULL,
    group_id TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('decision_maker', 'influencer', 'user')),
    -- The weight w of docs/groups.md in thousandths (0 to 1000), exact on both backends.
    weight_permille BIGINT NOT NULL CHECK (weight_permille BETWEEN 0 AND 1000),
    note TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX key_person_influence_group ON key_person_influence (group_id);

CREATE TABLE clubs (
    club_id TEXT PRIMARY KEY NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    description TEXT NOT NULL,
    -- The VIP tier codes that may join, comma-separated.
    tiers TEXT NOT NULL,
    -- NULL: the whole province; else only this branch's customers may join.
    branch_id TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);

-- One row per club and customer: leaving sets left_at, joining again clears it.
CREATE TABLE club_members (
    club_id TEXT NOT NULL REFERENCES clubs (club_id),
    customer_id TEXT NOT NULL,
    joined_at TEXT NOT NULL,
    joined_by TEXT NOT NULL,
    left_at TEXT,
    left_by TEXT,
    PRIMARY KEY (club_id, customer_id)
);
CREATE INDEX club_members_customer ON club_members (customer_id);

CREATE TABLE club_events (
    event_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    club_id TEXT NOT NULL REFERENCES clubs (club_id),
    title TEXT NOT NULL,
    place TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    capacity BIGINT NOT NULL CHECK (capacity > 0),
    allocation TEXT NOT NULL CHECK (allocation IN ('first_come', 'draw')),
    -- Whether sign-ups beyond the places wait for one (候补) or are refused.
    waitlist BOOLEAN NOT NULL,
    -- Places taken: never more than the capacity.
    confirmed BIGINT NOT NULL DEFAULT 0 CHECK (confirmed >= 0 AND confirmed <= capacity),
    -- The draw, once made: its seed (0 to 2^63 - 1), when and by whom.
    draw_seed BIGINT,
    drawn_at TEXT,
    drawn_by TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    -- Every sign-up, cancellation and the draw move it first: they take turns per event.
    version BIGINT NOT NULL DEFAULT 0,
    CHECK ((draw_seed IS NULL) = (drawn_at IS NULL))
);
CREATE INDEX club_events_club ON club_events (club_id);

CREATE TABLE club_signups (
    signup_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES club_events (event_id),
    customer_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('applied', 'confirmed', 'waitlisted', 'cancelled')),
    -- A waitlisted sign-up's place in the queue (1 is next).
    position BIGINT,
    signed_up_at TEXT NOT NULL,
    signed_up_by TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    attended BOOLEAN,
    attendance_at TEXT,
    attendance_by TEXT,
    UNIQUE (event_id, customer_id),
    CHECK (attended IS NULL OR status = 'confirmed'),
    CHECK ((position IS NOT NULL) = (status = 'waitlisted'))
);
CREATE INDEX club_signups_customer ON club_signups (customer_id);

-- Points weiwan has spent per customer on club services, so a spend is refused in one
-- conditional update when the ledger's balance minus this would go below zero.
CREATE TABLE club_point_accounts (
    customer_id TEXT PRIMARY KEY NOT NULL,
    spent BIGINT NOT NULL CHECK (spent >= 0)
);

CREATE TABLE club_point_spends (
    spend_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    club_id TEXT NOT NULL REFERENCES clubs (club_id),
    customer_id TEXT NOT NULL,
    service TEXT NOT NULL,
    points BIGINT NOT NULL CHECK (points > 0),
    spent_at TEXT NOT NULL,
    spent_by TEXT NOT NULL
);
CREATE INDEX club_point_spends_customer ON club_point_spends (customer_id);
