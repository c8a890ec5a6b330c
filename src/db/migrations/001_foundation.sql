-- koji-ts schema, part 1: events, users and sessions, permissions, hosts and channels.
-- Table and column names follow Koji's schema so operators can read either.
-- Versioned tables carry create_event/revoke_event/creator_id/revoker_id/active, where
-- active is TRUE for the current row and NULL for history (never FALSE), so that
-- UNIQUE (..., active) allows exactly one current row.

CREATE TABLE events (
    id SERIAL PRIMARY KEY,
    time TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);

-- allocate a new event and return its id
CREATE FUNCTION get_event() RETURNS INTEGER LANGUAGE SQL AS $$
    INSERT INTO events (time) VALUES (clock_timestamp()) RETURNING id;
$$;

CREATE FUNCTION get_event_time(INTEGER) RETURNS TIMESTAMPTZ LANGUAGE SQL STABLE AS $$
    SELECT time FROM events WHERE id = $1;
$$;

CREATE TABLE event_labels (
    event_id INTEGER NOT NULL REFERENCES events(id),
    label VARCHAR(255) UNIQUE NOT NULL
);

CREATE TABLE users (
    id SERIAL PRIMARY KEY,
    name VARCHAR(255) UNIQUE NOT NULL,
    -- scrypt hash ("scrypt$N$r$p$salt$hash"), never the password itself; NULL = no password login
    password VARCHAR(255),
    status INTEGER NOT NULL,
    usertype INTEGER NOT NULL
);

CREATE TABLE user_krb_principals (
    user_id INTEGER NOT NULL REFERENCES users(id),
    krb_principal VARCHAR(255) NOT NULL UNIQUE,
    PRIMARY KEY (user_id, krb_principal)
);

CREATE TABLE permissions (
    id SERIAL PRIMARY KEY,
    name VARCHAR(50) UNIQUE NOT NULL,
    description TEXT
);

INSERT INTO permissions (name, description) VALUES
    ('admin', 'Full administrator access. Perform all actions.'),
    ('appliance', 'Create appliance builds (deprecated).'),
    ('dist-repo', 'Create dist repos.'),
    ('host', 'Add, remove, enable and disable hosts and channels.'),
    ('image', 'Start image tasks.'),
    ('image-import', 'Import image archives.'),
    ('livecd', 'Start livecd tasks.'),
    ('maven-import', 'Import maven archives.'),
    ('repo', 'Manage repos: newRepo, repoExpire, repoDelete, repoProblem.'),
    ('sign', 'Import RPM signatures and write signed RPMs.'),
    ('tag', 'Manage tags: add, block and remove packages; tag builds; clone tags.'),
    ('target', 'Add, edit and remove build targets.'),
    ('win-admin', 'Needed by the default "vm" policy to start Windows builds.'),
    ('win-import', 'Import win archives.'),
    ('draft-promoter', 'Needed by the default "draft_promotion" policy to promote draft builds.');

CREATE TABLE user_perms (
    user_id INTEGER NOT NULL REFERENCES users(id),
    perm_id INTEGER NOT NULL REFERENCES permissions(id),
    create_event INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event INTEGER REFERENCES events(id),
    creator_id INTEGER NOT NULL REFERENCES users(id),
    revoker_id INTEGER REFERENCES users(id),
    active BOOLEAN DEFAULT TRUE CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, user_id, perm_id),
    UNIQUE (user_id, perm_id, active)
);

-- groups are users with usertype 2
CREATE TABLE user_groups (
    user_id INTEGER NOT NULL REFERENCES users(id),
    group_id INTEGER NOT NULL REFERENCES users(id),
    create_event INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event INTEGER REFERENCES events(id),
    creator_id INTEGER NOT NULL REFERENCES users(id),
    revoker_id INTEGER REFERENCES users(id),
    active BOOLEAN DEFAULT TRUE CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, user_id, group_id),
    UNIQUE (user_id, group_id, active)
);
CREATE INDEX user_groups_by_group ON user_groups (group_id) WHERE active IS TRUE;

-- A subsession's master points at the top session. exclusive is TRUE or NULL, so that
-- UNIQUE (user_id, exclusive) allows one exclusive session per user.
CREATE TABLE sessions (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    expired BOOLEAN NOT NULL DEFAULT FALSE,
    master INTEGER REFERENCES sessions(id),
    key VARCHAR(255),
    authtype INTEGER,
    hostip VARCHAR(255),
    callnum INTEGER,
    start_time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    update_time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    exclusive BOOLEAN CHECK (exclusive),
    closed BOOLEAN NOT NULL DEFAULT FALSE,
    renew_time TIMESTAMPTZ,
    CONSTRAINT no_exclusive_subsessions CHECK (master IS NULL OR exclusive IS NULL),
    CONSTRAINT no_closed_exclusive CHECK (closed IS FALSE OR exclusive IS NULL),
    UNIQUE (user_id, exclusive)
);
CREATE INDEX sessions_master ON sessions (master);
CREATE INDEX sessions_by_user_open ON sessions (user_id) WHERE closed IS FALSE;

CREATE TABLE channels (
    id SERIAL PRIMARY KEY,
    name VARCHAR(128) UNIQUE NOT NULL,
    description TEXT,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    comment TEXT
);

INSERT INTO channels (name) VALUES
    ('default'), ('createrepo'), ('maven'), ('livecd'), ('appliance'), ('vm'), ('image'), ('livemedia');

-- each host also has a row in users (usertype 1)
CREATE TABLE host (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name VARCHAR(128) UNIQUE NOT NULL,
    update_time TIMESTAMPTZ,
    task_load DOUBLE PRECISION NOT NULL DEFAULT 0.0 CHECK (NOT task_load < 0),
    ready BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX host_by_user ON host (user_id);

CREATE TABLE host_config (
    host_id INTEGER NOT NULL REFERENCES host(id),
    arches TEXT,
    capacity DOUBLE PRECISION NOT NULL DEFAULT 2.0 CHECK (capacity > 1),
    description TEXT,
    comment TEXT,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    create_event INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event INTEGER REFERENCES events(id),
    creator_id INTEGER NOT NULL REFERENCES users(id),
    revoker_id INTEGER REFERENCES users(id),
    active BOOLEAN DEFAULT TRUE CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, host_id),
    UNIQUE (host_id, active)
);
CREATE INDEX host_config_by_active_and_enabled ON host_config (active, enabled);

CREATE TABLE host_channels (
    host_id INTEGER NOT NULL REFERENCES host(id),
    channel_id INTEGER NOT NULL REFERENCES channels(id),
    create_event INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event INTEGER REFERENCES events(id),
    creator_id INTEGER NOT NULL REFERENCES users(id),
    revoker_id INTEGER REFERENCES users(id),
    active BOOLEAN DEFAULT TRUE CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, host_id, channel_id),
    UNIQUE (host_id, channel_id, active)
);

-- named locks (Koji seeds these; the scheduler and repo queue take them)
CREATE TABLE locks (
    name TEXT PRIMARY KEY
);
INSERT INTO locks (name) VALUES ('protonmsg-plugin'), ('scheduler'), ('repo-queue');
