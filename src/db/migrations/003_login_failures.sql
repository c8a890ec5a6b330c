-- koji-ts: failed password logins, counted per user name and per client address, so that
-- repeated failures are slowed down in every hub process (see src/hub/auth/throttle.ts).
CREATE TABLE login_failures (
    kind TEXT NOT NULL CHECK (kind IN ('user', 'address')),
    key TEXT NOT NULL,
    failures INTEGER NOT NULL,
    last_failure TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, key)
);
