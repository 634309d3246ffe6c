-- The handset identity of a line (e.g. a hashed IMEI), optional in extracts: it ties a new
-- line to one that left when the same handset comes back (内部转网, docs/churn-kinds.md).
-- Personal data, like the MSISDN.
ALTER TABLE subscriptions ADD COLUMN device_id TEXT;
