-- A person's own settings for the web console: the language its pages speak (zh or en).
-- Absent: the browser's Accept-Language decides.
CREATE TABLE user_preferences (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (user_id),
    lang TEXT NOT NULL CHECK (lang IN ('zh', 'en'))
);
