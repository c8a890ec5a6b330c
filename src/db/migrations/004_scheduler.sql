-- The hub scheduler's tables, as Koji 1.35 has them: runs (which host a task was assigned to),
-- refusals, host data reported by builders, scheduler state, and its log.
CREATE TABLE scheduler_task_runs (
    id SERIAL PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES task (id),
    host_id INTEGER NOT NULL REFERENCES host (id),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    create_time TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX scheduler_task_runs_task ON scheduler_task_runs (task_id);
CREATE INDEX scheduler_task_runs_host ON scheduler_task_runs (host_id);
CREATE INDEX scheduler_task_runs_create_time ON scheduler_task_runs (create_time);
CREATE INDEX scheduler_task_runs_active ON scheduler_task_runs (task_id) WHERE active;

CREATE TABLE scheduler_host_data (
    host_id INTEGER PRIMARY KEY REFERENCES host (id),
    data JSONB
);

CREATE TABLE scheduler_sys_data (
    name TEXT PRIMARY KEY,
    data JSONB
);

CREATE TABLE scheduler_task_refusals (
    id SERIAL PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES task (id),
    host_id INTEGER NOT NULL REFERENCES host (id),
    by_host BOOLEAN NOT NULL,
    soft BOOLEAN NOT NULL DEFAULT FALSE,
    msg TEXT,
    time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (task_id, host_id)
);

CREATE TABLE scheduler_log_messages (
    id SERIAL PRIMARY KEY,
    task_id INTEGER REFERENCES task (id),
    host_id INTEGER REFERENCES host (id),
    msg_time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    msg TEXT NOT NULL
);
CREATE INDEX scheduler_log_messages_time ON scheduler_log_messages (msg_time);

-- the scheduler's queries: free tasks in order, a host's assigned/open tasks, children
CREATE INDEX task_free_order ON task (priority, create_time) WHERE state = 0;
CREATE INDEX task_by_host_state ON task (host_id, state);
CREATE INDEX task_by_parent ON task (parent);
