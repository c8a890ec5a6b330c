-- Koji 1.35's repo request queue (repo.request, repo.checkQueue, kojira), as Koji's schema has it,
-- plus the indexes its queries use.
CREATE TABLE repo_queue (
    id SERIAL NOT NULL PRIMARY KEY,
    create_time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    owner INTEGER REFERENCES users(id) NOT NULL,
    priority INTEGER NOT NULL,
    tag_id INTEGER NOT NULL REFERENCES tag(id),
    at_event INTEGER REFERENCES events(id),
    min_event INTEGER REFERENCES events(id),
    opts JSONB NOT NULL,
    CONSTRAINT only_one_event CHECK (at_event IS NULL OR min_event IS NULL),
    update_time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    task_id INTEGER REFERENCES task(id),
    tries INTEGER NOT NULL DEFAULT 0,
    repo_id INTEGER REFERENCES repo(id),
    -- active requests have no repo yet
    CONSTRAINT active_sane CHECK (NOT active OR repo_id IS NULL)
);
CREATE INDEX repo_queue_active ON repo_queue (tag_id) WHERE active;

CREATE INDEX repo_by_state ON repo (state);
CREATE INDEX standard_buildroot_by_repo ON standard_buildroot (repo_id);

-- kojits.repo.waitChanges asks for the newest change of these tables: max(create_event) reads
-- the primary key; revokes get an index of their own
CREATE INDEX tag_listing_revoke_event ON tag_listing (revoke_event) WHERE revoke_event IS NOT NULL;
CREATE INDEX tag_inheritance_revoke_event ON tag_inheritance (revoke_event) WHERE revoke_event IS NOT NULL;
CREATE INDEX tag_config_revoke_event ON tag_config (revoke_event) WHERE revoke_event IS NOT NULL;
CREATE INDEX tag_extra_revoke_event ON tag_extra (revoke_event) WHERE revoke_event IS NOT NULL;
CREATE INDEX tag_packages_revoke_event ON tag_packages (revoke_event) WHERE revoke_event IS NOT NULL;
CREATE INDEX tag_external_repos_revoke_event ON tag_external_repos (revoke_event) WHERE revoke_event IS NOT NULL;
CREATE INDEX group_config_revoke_event ON group_config (revoke_event) WHERE revoke_event IS NOT NULL;
CREATE INDEX group_package_listing_revoke_event ON group_package_listing (revoke_event) WHERE revoke_event IS NOT NULL;
CREATE INDEX group_req_listing_revoke_event ON group_req_listing (revoke_event) WHERE revoke_event IS NOT NULL;
CREATE INDEX external_repo_config_revoke_event ON external_repo_config (revoke_event) WHERE revoke_event IS NOT NULL;
CREATE INDEX external_repo_data_revoke_event ON external_repo_data (revoke_event) WHERE revoke_event IS NOT NULL;
CREATE INDEX repo_state_time ON repo (state_time);
CREATE INDEX repo_queue_update_time ON repo_queue (update_time);
