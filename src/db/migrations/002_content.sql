-- koji-ts schema, part 2: Koji's content model — packages, tags (config, extra, inheritance),
-- targets, package lists, comps groups, builds, RPMs, archives, volumes, signatures, and the
-- task/buildroot/repo/external-repo tables they refer to. Names follow Koji's schema.
-- Versioned tables (see 001) carry the event columns; every change is an event.

CREATE TABLE package (
    id SERIAL PRIMARY KEY,
    name TEXT UNIQUE NOT NULL
);

CREATE TABLE volume (
    id SERIAL PRIMARY KEY,
    name TEXT UNIQUE NOT NULL
);
INSERT INTO volume (id, name) VALUES (0, 'DEFAULT');

CREATE TABLE content_generator (
    id SERIAL PRIMARY KEY,
    name TEXT UNIQUE NOT NULL
);

-- tasks: each is an XML-RPC call (method, request) run by a host; see the builds issue
CREATE TABLE task (
    id SERIAL PRIMARY KEY,
    state INTEGER,
    create_time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    start_time TIMESTAMPTZ,
    completion_time TIMESTAMPTZ,
    channel_id INTEGER NOT NULL REFERENCES channels(id),
    host_id INTEGER REFERENCES host(id),
    parent INTEGER REFERENCES task(id),
    label VARCHAR(255),
    waiting BOOLEAN,
    awaited BOOLEAN,
    owner INTEGER NOT NULL REFERENCES users(id),
    method TEXT,
    request TEXT,
    result TEXT,
    eta INTEGER,
    arch VARCHAR(16) NOT NULL,
    priority INTEGER,
    weight DOUBLE PRECISION NOT NULL DEFAULT 1.0 CHECK (NOT weight < 0),
    CONSTRAINT parent_label_sane CHECK (parent IS NOT NULL OR label IS NULL),
    UNIQUE (parent, label)
);
CREATE INDEX task_by_state ON task (state);
CREATE INDEX task_by_host ON task (host_id);
CREATE INDEX task_by_owner ON task (owner);
CREATE INDEX task_by_no_parent_state_method ON task (parent, state, method) WHERE parent IS NULL;

-- one row per N-V-R; draft builds carry ",draft_<id>" in their release
CREATE TABLE build (
    id SERIAL PRIMARY KEY,
    volume_id INTEGER NOT NULL REFERENCES volume(id),
    pkg_id INTEGER NOT NULL REFERENCES package(id) DEFERRABLE,
    version TEXT NOT NULL,
    release TEXT NOT NULL,
    epoch INTEGER,
    draft BOOLEAN NOT NULL DEFAULT FALSE,
    source TEXT,
    create_event INTEGER NOT NULL REFERENCES events(id),
    start_time TIMESTAMPTZ,
    completion_time TIMESTAMPTZ,
    promotion_time TIMESTAMPTZ,
    state INTEGER NOT NULL,
    task_id INTEGER REFERENCES task(id),
    owner INTEGER NOT NULL REFERENCES users(id),
    promoter INTEGER REFERENCES users(id),
    cg_id INTEGER REFERENCES content_generator(id),
    extra TEXT,
    CONSTRAINT build_pkg_ver_rel UNIQUE (pkg_id, version, release),
    CONSTRAINT draft_for_rpminfo UNIQUE (id, draft),
    CONSTRAINT completion_sane CHECK ((state = 0 AND completion_time IS NULL) OR (state <> 0 AND completion_time IS NOT NULL)),
    CONSTRAINT promotion_sane CHECK (NOT draft OR (promotion_time IS NULL AND promoter IS NULL)),
    CONSTRAINT draft_release_sane CHECK (NOT draft OR release ~ ('^.*,draft_' || id::TEXT || '$'))
);
CREATE INDEX build_by_pkg_id ON build (pkg_id);
CREATE INDEX build_completion ON build (completion_time);
CREATE INDEX build_by_owner ON build (owner);
CREATE INDEX build_by_task ON build (task_id);
CREATE INDEX build_by_create_event ON build (create_event);

CREATE TABLE btype (
    id SERIAL PRIMARY KEY,
    name TEXT UNIQUE NOT NULL
);
INSERT INTO btype (name) VALUES ('rpm'), ('maven'), ('win'), ('image');

CREATE TABLE build_types (
    build_id INTEGER NOT NULL REFERENCES build(id),
    btype_id INTEGER NOT NULL REFERENCES btype(id),
    PRIMARY KEY (build_id, btype_id)
);

CREATE TABLE tag (
    id SERIAL PRIMARY KEY,
    name TEXT UNIQUE NOT NULL
);

CREATE TABLE tag_inheritance (
    tag_id INTEGER NOT NULL REFERENCES tag(id),
    parent_id INTEGER NOT NULL REFERENCES tag(id),
    priority INTEGER NOT NULL,
    maxdepth INTEGER,
    intransitive BOOLEAN NOT NULL DEFAULT FALSE,
    noconfig BOOLEAN NOT NULL DEFAULT FALSE,
    pkg_filter TEXT,
    create_event INTEGER NOT NULL REFERENCES events(id),
    revoke_event INTEGER REFERENCES events(id),
    creator_id INTEGER NOT NULL REFERENCES users(id),
    revoker_id INTEGER REFERENCES users(id),
    active BOOLEAN DEFAULT TRUE CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, tag_id, priority),
    UNIQUE (tag_id, priority, active),
    UNIQUE (tag_id, parent_id, active)
);
CREATE INDEX tag_inheritance_by_parent ON tag_inheritance (parent_id);

CREATE TABLE tag_config (
    tag_id INTEGER NOT NULL REFERENCES tag(id),
    arches TEXT,
    perm_id INTEGER REFERENCES permissions(id),
    locked BOOLEAN NOT NULL DEFAULT FALSE,
    maven_support BOOLEAN NOT NULL DEFAULT FALSE,
    maven_include_all BOOLEAN NOT NULL DEFAULT FALSE,
    create_event INTEGER NOT NULL REFERENCES events(id),
    revoke_event INTEGER REFERENCES events(id),
    creator_id INTEGER NOT NULL REFERENCES users(id),
    revoker_id INTEGER REFERENCES users(id),
    active BOOLEAN DEFAULT TRUE CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, tag_id),
    UNIQUE (tag_id, active)
);

CREATE TABLE tag_extra (
    tag_id INTEGER NOT NULL REFERENCES tag(id),
    key TEXT NOT NULL,
    value TEXT,  -- JSON text; NULL = the key is blocked
    create_event INTEGER NOT NULL REFERENCES events(id),
    revoke_event INTEGER REFERENCES events(id),
    creator_id INTEGER NOT NULL REFERENCES users(id),
    revoker_id INTEGER REFERENCES users(id),
    active BOOLEAN DEFAULT TRUE CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, tag_id, key),
    UNIQUE (tag_id, key, active)
);

-- changes relevant to a tag's content that are not in a versioned table
CREATE TABLE tag_updates (
    id SERIAL PRIMARY KEY,
    tag_id INTEGER NOT NULL REFERENCES tag(id),
    update_event INTEGER NOT NULL REFERENCES events(id),
    updater_id INTEGER NOT NULL REFERENCES users(id),
    update_type INTEGER NOT NULL
);
CREATE INDEX tag_updates_by_tag ON tag_updates (tag_id);
CREATE INDEX tag_updates_by_event ON tag_updates (update_event);

CREATE TABLE build_target (
    id SERIAL PRIMARY KEY,
    name TEXT UNIQUE NOT NULL
);

CREATE TABLE build_target_config (
    build_target_id INTEGER NOT NULL REFERENCES build_target(id),
    build_tag INTEGER NOT NULL REFERENCES tag(id),
    dest_tag INTEGER NOT NULL REFERENCES tag(id),
    create_event INTEGER NOT NULL REFERENCES events(id),
    revoke_event INTEGER REFERENCES events(id),
    creator_id INTEGER NOT NULL REFERENCES users(id),
    revoker_id INTEGER REFERENCES users(id),
    active BOOLEAN DEFAULT TRUE CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, build_target_id),
    UNIQUE (build_target_id, active)
);

CREATE TABLE repo (
    id SERIAL PRIMARY KEY,
    creation_time TIMESTAMPTZ DEFAULT NOW(),
    create_event INTEGER NOT NULL REFERENCES events(id),
    state_time TIMESTAMPTZ DEFAULT NOW(),
    begin_event INTEGER REFERENCES events(id),
    end_event INTEGER REFERENCES events(id),
    tag_id INTEGER NOT NULL REFERENCES tag(id),
    state INTEGER,
    dist BOOLEAN DEFAULT FALSE,
    opts JSONB,
    custom_opts JSONB,
    task_id INTEGER REFERENCES task(id)
);
CREATE INDEX repo_by_tag_state ON repo (tag_id, state);

CREATE TABLE external_repo (
    id SERIAL PRIMARY KEY,
    name TEXT UNIQUE NOT NULL
);
-- id 0 stands for "internal" in rpminfo.external_repo_id
INSERT INTO external_repo (id, name) VALUES (0, 'INTERNAL');

CREATE TABLE external_repo_config (
    external_repo_id INTEGER NOT NULL REFERENCES external_repo(id),
    url TEXT NOT NULL,
    create_event INTEGER NOT NULL REFERENCES events(id),
    revoke_event INTEGER REFERENCES events(id),
    creator_id INTEGER NOT NULL REFERENCES users(id),
    revoker_id INTEGER REFERENCES users(id),
    active BOOLEAN DEFAULT TRUE CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, external_repo_id),
    UNIQUE (external_repo_id, active)
);

CREATE TABLE external_repo_data (
    external_repo_id INTEGER NOT NULL REFERENCES external_repo(id),
    data JSONB,
    create_event INTEGER NOT NULL REFERENCES events(id),
    revoke_event INTEGER REFERENCES events(id),
    creator_id INTEGER NOT NULL REFERENCES users(id),
    revoker_id INTEGER REFERENCES users(id),
    active BOOLEAN DEFAULT TRUE CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, external_repo_id),
    UNIQUE (external_repo_id, active)
);

CREATE TABLE tag_external_repos (
    tag_id INTEGER NOT NULL REFERENCES tag(id),
    external_repo_id INTEGER NOT NULL REFERENCES external_repo(id),
    priority INTEGER NOT NULL,
    merge_mode TEXT NOT NULL DEFAULT 'koji',
    arches TEXT,
    create_event INTEGER NOT NULL REFERENCES events(id),
    revoke_event INTEGER REFERENCES events(id),
    creator_id INTEGER NOT NULL REFERENCES users(id),
    revoker_id INTEGER REFERENCES users(id),
    active BOOLEAN DEFAULT TRUE CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, tag_id, priority),
    UNIQUE (tag_id, priority, active),
    UNIQUE (tag_id, external_repo_id, active)
);

CREATE TABLE cg_users (
    cg_id INTEGER NOT NULL REFERENCES content_generator(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    create_event INTEGER NOT NULL REFERENCES events(id),
    revoke_event INTEGER REFERENCES events(id),
    creator_id INTEGER NOT NULL REFERENCES users(id),
    revoker_id INTEGER REFERENCES users(id),
    active BOOLEAN DEFAULT TRUE CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, cg_id, user_id),
    UNIQUE (cg_id, user_id, active)
);

CREATE TABLE build_reservations (
    build_id INTEGER NOT NULL PRIMARY KEY REFERENCES build(id),
    token VARCHAR(64),
    created TIMESTAMPTZ NOT NULL
);

CREATE TABLE buildroot (
    id SERIAL PRIMARY KEY,
    br_type INTEGER NOT NULL,
    cg_id INTEGER REFERENCES content_generator(id),
    cg_version TEXT,
    CONSTRAINT cg_sane CHECK ((cg_id IS NULL AND cg_version IS NULL) OR (cg_id IS NOT NULL AND cg_version IS NOT NULL)),
    container_type TEXT,
    container_arch TEXT,
    CONSTRAINT container_sane CHECK ((container_type IS NULL AND container_arch IS NULL) OR (container_type IS NOT NULL AND container_arch IS NOT NULL)),
    host_os TEXT,
    host_arch TEXT,
    extra TEXT
);

CREATE TABLE standard_buildroot (
    buildroot_id INTEGER NOT NULL PRIMARY KEY REFERENCES buildroot(id),
    host_id INTEGER NOT NULL REFERENCES host(id),
    repo_id INTEGER NOT NULL REFERENCES repo(id),
    task_id INTEGER NOT NULL REFERENCES task(id),
    create_event INTEGER NOT NULL REFERENCES events(id),
    retire_event INTEGER,
    state INTEGER
);
CREATE INDEX standard_buildroot_by_host ON standard_buildroot (host_id);
CREATE INDEX standard_buildroot_by_task ON standard_buildroot (task_id);

CREATE TABLE buildroot_tools_info (
    buildroot_id INTEGER NOT NULL REFERENCES buildroot(id),
    tool TEXT NOT NULL,
    version TEXT NOT NULL,
    PRIMARY KEY (buildroot_id, tool)
);

CREATE TABLE image_builds (
    build_id INTEGER NOT NULL PRIMARY KEY REFERENCES build(id)
);

-- builds tagged into tags
CREATE TABLE tag_listing (
    build_id INTEGER NOT NULL REFERENCES build(id),
    tag_id INTEGER NOT NULL REFERENCES tag(id),
    create_event INTEGER NOT NULL REFERENCES events(id),
    revoke_event INTEGER REFERENCES events(id),
    creator_id INTEGER NOT NULL REFERENCES users(id),
    revoker_id INTEGER REFERENCES users(id),
    active BOOLEAN DEFAULT TRUE CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, build_id, tag_id),
    UNIQUE (build_id, tag_id, active)
);
CREATE INDEX tag_listing_tag_active ON tag_listing (tag_id) WHERE active IS TRUE;
CREATE INDEX tag_listing_tag_events ON tag_listing (tag_id, create_event, revoke_event);
CREATE INDEX tag_listing_build ON tag_listing (build_id);

-- package lists (which packages may be tagged where, and blocks)
CREATE TABLE tag_packages (
    package_id INTEGER NOT NULL REFERENCES package(id),
    tag_id INTEGER NOT NULL REFERENCES tag(id),
    blocked BOOLEAN NOT NULL DEFAULT FALSE,
    extra_arches TEXT,
    create_event INTEGER NOT NULL REFERENCES events(id),
    revoke_event INTEGER REFERENCES events(id),
    creator_id INTEGER NOT NULL REFERENCES users(id),
    revoker_id INTEGER REFERENCES users(id),
    active BOOLEAN DEFAULT TRUE CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, package_id, tag_id),
    UNIQUE (package_id, tag_id, active)
);
CREATE INDEX tag_packages_tag_active ON tag_packages (tag_id) WHERE active IS TRUE;
CREATE INDEX tag_packages_tag_events ON tag_packages (tag_id, create_event, revoke_event);

CREATE TABLE tag_package_owners (
    package_id INTEGER NOT NULL REFERENCES package(id),
    tag_id INTEGER NOT NULL REFERENCES tag(id),
    owner INTEGER NOT NULL REFERENCES users(id),
    create_event INTEGER NOT NULL REFERENCES events(id),
    revoke_event INTEGER REFERENCES events(id),
    creator_id INTEGER NOT NULL REFERENCES users(id),
    revoker_id INTEGER REFERENCES users(id),
    active BOOLEAN DEFAULT TRUE CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, package_id, tag_id),
    UNIQUE (package_id, tag_id, active)
);
CREATE INDEX tag_package_owners_tag_active ON tag_package_owners (tag_id) WHERE active IS TRUE;

-- comps groups per tag
CREATE TABLE groups (
    id SERIAL PRIMARY KEY,
    name VARCHAR(50) UNIQUE NOT NULL
);

CREATE TABLE group_config (
    group_id INTEGER NOT NULL REFERENCES groups(id),
    tag_id INTEGER NOT NULL REFERENCES tag(id),
    blocked BOOLEAN NOT NULL DEFAULT FALSE,
    exported BOOLEAN DEFAULT TRUE,
    display_name TEXT NOT NULL,
    is_default BOOLEAN,
    uservisible BOOLEAN,
    description TEXT,
    langonly TEXT,
    biarchonly BOOLEAN,
    create_event INTEGER NOT NULL REFERENCES events(id),
    revoke_event INTEGER REFERENCES events(id),
    creator_id INTEGER NOT NULL REFERENCES users(id),
    revoker_id INTEGER REFERENCES users(id),
    active BOOLEAN DEFAULT TRUE CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, group_id, tag_id),
    UNIQUE (group_id, tag_id, active)
);

CREATE TABLE group_req_listing (
    group_id INTEGER NOT NULL REFERENCES groups(id),
    tag_id INTEGER NOT NULL REFERENCES tag(id),
    req_id INTEGER NOT NULL REFERENCES groups(id),
    blocked BOOLEAN NOT NULL DEFAULT FALSE,
    type VARCHAR(25),
    is_metapkg BOOLEAN NOT NULL DEFAULT FALSE,
    create_event INTEGER NOT NULL REFERENCES events(id),
    revoke_event INTEGER REFERENCES events(id),
    creator_id INTEGER NOT NULL REFERENCES users(id),
    revoker_id INTEGER REFERENCES users(id),
    active BOOLEAN DEFAULT TRUE CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, group_id, tag_id, req_id),
    UNIQUE (group_id, tag_id, req_id, active)
);

-- package is an rpm name, not necessarily a source package name
CREATE TABLE group_package_listing (
    group_id INTEGER NOT NULL REFERENCES groups(id),
    tag_id INTEGER NOT NULL REFERENCES tag(id),
    package TEXT,
    blocked BOOLEAN NOT NULL DEFAULT FALSE,
    type VARCHAR(25) NOT NULL,
    basearchonly BOOLEAN,
    requires TEXT,
    create_event INTEGER NOT NULL REFERENCES events(id),
    revoke_event INTEGER REFERENCES events(id),
    creator_id INTEGER NOT NULL REFERENCES users(id),
    revoker_id INTEGER REFERENCES users(id),
    active BOOLEAN DEFAULT TRUE CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, group_id, tag_id, package),
    UNIQUE (group_id, tag_id, package, active)
);

-- individual rpms (and srpms); external ones have no build
CREATE TABLE rpminfo (
    id SERIAL PRIMARY KEY,
    build_id INTEGER,
    buildroot_id INTEGER REFERENCES buildroot(id),
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    release TEXT NOT NULL,
    epoch INTEGER,
    arch VARCHAR(16) NOT NULL,
    draft BOOLEAN,
    external_repo_id INTEGER NOT NULL REFERENCES external_repo(id),
    payloadhash TEXT NOT NULL,
    size BIGINT NOT NULL,
    buildtime BIGINT NOT NULL,
    metadata_only BOOLEAN NOT NULL DEFAULT FALSE,
    extra TEXT,
    FOREIGN KEY (build_id, draft) REFERENCES build (id, draft) ON UPDATE CASCADE,
    CONSTRAINT build_id_draft_external_repo_id_sane CHECK (
        (draft IS NULL AND build_id IS NULL AND external_repo_id <> 0)
        OR (draft IS NOT NULL AND build_id IS NOT NULL AND external_repo_id = 0))
);
CREATE INDEX rpminfo_build ON rpminfo (build_id);
CREATE UNIQUE INDEX rpminfo_unique_nvra_not_draft ON rpminfo (name, version, release, arch, external_repo_id) WHERE draft IS NOT TRUE;
CREATE INDEX rpminfo_nvra ON rpminfo (name, version, release, arch, external_repo_id);

-- sighash: md5 of the signature header
CREATE TABLE rpmsigs (
    rpm_id INTEGER NOT NULL REFERENCES rpminfo(id),
    sigkey TEXT NOT NULL,
    sighash TEXT NOT NULL,
    CONSTRAINT rpmsigs_no_resign UNIQUE (rpm_id, sigkey)
);

CREATE TABLE buildroot_listing (
    buildroot_id INTEGER NOT NULL REFERENCES buildroot(id),
    rpm_id INTEGER NOT NULL REFERENCES rpminfo(id),
    is_update BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (buildroot_id, rpm_id)
);
CREATE INDEX buildroot_listing_rpms ON buildroot_listing (rpm_id);

CREATE TABLE build_notifications (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    package_id INTEGER REFERENCES package(id),
    tag_id INTEGER REFERENCES tag(id),
    success_only BOOLEAN NOT NULL DEFAULT FALSE,
    email TEXT NOT NULL
);

CREATE TABLE build_notifications_block (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    package_id INTEGER REFERENCES package(id),
    tag_id INTEGER REFERENCES tag(id)
);

CREATE TABLE maven_builds (
    build_id INTEGER NOT NULL PRIMARY KEY REFERENCES build(id),
    group_id TEXT NOT NULL,
    artifact_id TEXT NOT NULL,
    version TEXT NOT NULL
);

CREATE TABLE win_builds (
    build_id INTEGER NOT NULL PRIMARY KEY REFERENCES build(id),
    platform TEXT NOT NULL
);

CREATE TABLE archivetypes (
    id SERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    extensions TEXT NOT NULL,
    compression_type TEXT
);
-- ids 1-76 in Koji's order
INSERT INTO archivetypes (name, description, extensions, compression_type) VALUES
    ('jar', 'Java archive', 'jar war rar ear sar jdocbook jdocbook-style', 'zip'),
    ('zip', 'Zip archive', 'zip', 'zip'),
    ('pom', 'Maven project object model', 'pom', NULL),
    ('tar', 'Tar archive', 'tar tar.gz tar.bz2 tar.xz tgz', 'tar'),
    ('xml', 'XML document', 'xml', NULL),
    ('xmlcompressed', 'Compressed XML document', 'xml.gz xml.bz2 xml.xz', NULL),
    ('xsd', 'XML schema', 'xsd', NULL),
    ('spec', 'RPM spec file', 'spec', NULL),
    ('exe', 'Windows program', 'exe', NULL),
    ('dll', 'Windows shared library', 'dll', NULL),
    ('lib', 'Windows import library', 'lib', NULL),
    ('sys', 'Windows driver', 'sys', NULL),
    ('inf', 'Windows driver setup information', 'inf', NULL),
    ('cat', 'Windows security catalog', 'cat', NULL),
    ('msi', 'Windows installer', 'msi', NULL),
    ('pdb', 'Windows debug symbols', 'pdb', NULL),
    ('oem', 'Windows OEM driver file', 'oem', NULL),
    ('iso', 'Optical disc image', 'iso', NULL),
    ('raw', 'Raw disk image', 'raw', NULL),
    ('qcow', 'QEMU QCOW image', 'qcow', NULL),
    ('qcow2', 'QEMU QCOW2 image', 'qcow2', NULL),
    ('vmdk', 'VMware disk image', 'vmdk', NULL),
    ('ova', 'Open virtual appliance', 'ova', NULL),
    ('ks', 'Kickstart file', 'ks', NULL),
    ('cfg', 'Configuration file', 'cfg', NULL),
    ('vdi', 'VirtualBox disk image', 'vdi', NULL),
    ('aar', 'Android library', 'aar', NULL),
    ('apklib', 'Android library sources', 'apklib', NULL),
    ('cab', 'Windows cabinet', 'cab', NULL),
    ('dylib', 'macOS dynamic library', 'dylib', NULL),
    ('gem', 'Ruby gem', 'gem', NULL),
    ('ini', 'INI file', 'ini', NULL),
    ('js', 'JavaScript file', 'js', NULL),
    ('ldif', 'LDAP data interchange file', 'ldif', NULL),
    ('manifest', '.NET application manifest', 'manifest', NULL),
    ('msm', 'Windows merge module', 'msm', NULL),
    ('properties', 'Java properties file', 'properties', NULL),
    ('sig', 'Signature', 'sig signature', NULL),
    ('so', 'Shared object', 'so', NULL),
    ('txt', 'Text file', 'txt', NULL),
    ('vhd', 'Hyper-V disk image', 'vhd', NULL),
    ('vhdx', 'Hyper-V disk image, version 2', 'vhdx', NULL),
    ('wsf', 'Windows script', 'wsf', NULL),
    ('box', 'Vagrant box', 'box', NULL),
    ('raw-xz', 'Raw disk image, xz-compressed', 'raw.xz', NULL),
    ('json', 'JSON document', 'json', NULL),
    ('key', 'Key file', 'key', NULL),
    ('dot', 'Graphviz graph', 'dot gv', NULL),
    ('groovy', 'Groovy script', 'groovy gvy', NULL),
    ('batch', 'Windows batch file', 'bat', NULL),
    ('shell', 'Shell script', 'sh', NULL),
    ('rc', 'Windows resource script', 'rc', NULL),
    ('wsdl', 'Web service description', 'wsdl', NULL),
    ('obr', 'OSGi bundle repository', 'obr', NULL),
    ('liveimg-squashfs', 'Live image squashfs', 'liveimg.squashfs', NULL),
    ('tlb', 'OLE type library', 'tlb', NULL),
    ('jnilib', 'Java native library', 'jnilib', NULL),
    ('yaml', 'YAML document', 'yaml yml', NULL),
    ('xjb', 'JAXB binding customisation', 'xjb', NULL),
    ('raw-gz', 'Raw disk image, gzip-compressed', 'raw.gz', NULL),
    ('qcow2-compressed', 'QEMU QCOW2 image, compressed', 'qcow2.gz qcow2.xz', NULL),
    ('iso-compressed', 'Optical disc image, compressed', 'iso.gz iso.xz', NULL),
    ('vhd-compressed', 'Hyper-V disk image, compressed', 'vhd.gz vhd.xz', NULL),
    ('vhdx-compressed', 'Hyper-V disk image v2, compressed', 'vhdx.gz vhdx.xz', NULL),
    ('vmdk-compressed', 'VMware disk image, compressed', 'vmdk.gz vmdk.xz', NULL),
    ('kernel-image', 'Linux kernel image', 'vmlinuz vmlinuz.gz vmlinuz.xz', NULL),
    ('initramfs', 'Initial RAM file system', 'img', NULL),
    ('checksum', 'Checksum file', 'sha256', NULL),
    ('changes', 'Image changes listing', 'changes.xz changes', NULL),
    ('packages', 'Image package listing', 'packages', NULL),
    ('verified', 'Image verified package list', 'verified', NULL),
    ('erofs', 'EROFS image', 'erofs', NULL),
    ('erofs-compressed', 'EROFS image, compressed', 'erofs.gz erofs.xz', NULL),
    ('squashfs', 'SquashFS image', 'squashfs', NULL),
    ('squashfs-compressed', 'SquashFS image, compressed', 'squashfs.gz squashfs.xz', NULL),
    ('wsl', 'Windows Subsystem for Linux tarball', 'wsl', NULL);

CREATE TABLE archiveinfo (
    id SERIAL PRIMARY KEY,
    type_id INTEGER NOT NULL REFERENCES archivetypes(id),
    btype_id INTEGER REFERENCES btype(id),
    build_id INTEGER NOT NULL REFERENCES build(id),
    buildroot_id INTEGER REFERENCES buildroot(id),
    filename TEXT NOT NULL,
    size BIGINT NOT NULL,
    checksum TEXT NOT NULL,
    checksum_type INTEGER NOT NULL,
    metadata_only BOOLEAN NOT NULL DEFAULT FALSE,
    extra TEXT
);
CREATE INDEX archiveinfo_build_idx ON archiveinfo (build_id);
CREATE INDEX archiveinfo_buildroot_idx ON archiveinfo (buildroot_id);
CREATE INDEX archiveinfo_type_idx ON archiveinfo (type_id);
CREATE INDEX archiveinfo_filename_idx ON archiveinfo (filename);

CREATE TABLE maven_archives (
    archive_id INTEGER NOT NULL PRIMARY KEY REFERENCES archiveinfo(id),
    group_id TEXT NOT NULL,
    artifact_id TEXT NOT NULL,
    version TEXT NOT NULL
);

CREATE TABLE image_archives (
    archive_id INTEGER NOT NULL PRIMARY KEY REFERENCES archiveinfo(id),
    arch VARCHAR(16) NOT NULL
);

CREATE TABLE archive_rpm_components (
    archive_id INTEGER NOT NULL REFERENCES archiveinfo(id),
    rpm_id INTEGER NOT NULL REFERENCES rpminfo(id),
    UNIQUE (archive_id, rpm_id)
);
CREATE INDEX rpm_components_idx ON archive_rpm_components (rpm_id);

CREATE TABLE archive_components (
    archive_id INTEGER NOT NULL REFERENCES archiveinfo(id),
    component_id INTEGER NOT NULL REFERENCES archiveinfo(id),
    UNIQUE (archive_id, component_id)
);
CREATE INDEX archive_components_idx ON archive_components (component_id);

CREATE TABLE buildroot_archives (
    buildroot_id INTEGER NOT NULL REFERENCES buildroot(id),
    archive_id INTEGER NOT NULL REFERENCES archiveinfo(id),
    project_dep BOOLEAN NOT NULL,
    PRIMARY KEY (buildroot_id, archive_id)
);
CREATE INDEX buildroot_archives_archive_idx ON buildroot_archives (archive_id);

CREATE TABLE win_archives (
    archive_id INTEGER NOT NULL PRIMARY KEY REFERENCES archiveinfo(id),
    relpath TEXT NOT NULL,
    platforms TEXT NOT NULL,
    flags TEXT
);

CREATE TABLE rpm_checksum (
    rpm_id INTEGER NOT NULL REFERENCES rpminfo(id),
    sigkey TEXT NOT NULL,
    checksum TEXT NOT NULL UNIQUE,
    checksum_type SMALLINT NOT NULL,
    PRIMARY KEY (rpm_id, sigkey, checksum_type)
);
CREATE INDEX rpm_checksum_rpm_id ON rpm_checksum (rpm_id);
