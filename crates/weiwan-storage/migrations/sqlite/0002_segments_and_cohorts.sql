-- Saved target groups (客户群): self-service conditions (JSON) or an analyst's SQL, checked
-- before they are saved, evaluated over the tagged 360 table of a date.
CREATE TABLE segments (
    name TEXT PRIMARY KEY NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('conditions', 'sql')),
    definition TEXT NOT NULL,
    schedule TEXT NOT NULL CHECK (schedule IN ('none', 'daily', 'monthly')),
    description TEXT NOT NULL,
    saved_at TEXT NOT NULL
);

-- Snapshot cohorts (拍照): the members are frozen in the data directory
-- (cohorts/<name>.parquet); this is the register of who took which snapshot, when, and how.
CREATE TABLE cohorts (
    name TEXT PRIMARY KEY NOT NULL,
    taken_on TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('conditions', 'sql')),
    definition TEXT NOT NULL,
    members BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
