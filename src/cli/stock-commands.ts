/**
 * The names of the commands of the stock Koji 1.35 CLI (without plugins), so that our CLI can
 * tell a command it does not have yet from one that exists nowhere.
 */
export const STOCK_COMMANDS: ReadonlySet<string> = new Set([
  'add-channel', 'add-external-repo', 'add-group', 'add-group-pkg', 'add-group-req', 'add-host',
  'add-host-to-channel', 'add-notification', 'add-pkg', 'add-tag', 'add-tag-inheritance', 'add-target',
  'add-user', 'add-volume', 'assign-task', 'block-group', 'block-group-pkg', 'block-group-req',
  'block-notification', 'block-pkg', 'build', 'buildinfo', 'call', 'cancel', 'chain-build', 'clone-tag',
  'disable-channel', 'disable-host', 'disable-user', 'dist-repo', 'download-build', 'download-logs',
  'download-task', 'edit-channel', 'edit-external-repo', 'edit-host', 'edit-notification', 'edit-permission',
  'edit-tag', 'edit-tag-inheritance', 'edit-target', 'edit-user', 'enable-channel', 'enable-host',
  'enable-user', 'free-task', 'grant-cg-access', 'grant-permission', 'help', 'hostinfo', 'image-build',
  'image-build-indirection', 'import', 'import-archive', 'import-cg', 'import-comps', 'import-sig',
  'latest-build', 'list-api', 'list-buildroot', 'list-builds', 'list-channels', 'list-external-repos',
  'list-groups', 'list-history', 'list-hosts', 'list-notifications', 'list-permissions', 'list-pkgs',
  'list-signed', 'list-tag-inheritance', 'list-tagged', 'list-tags', 'list-targets', 'list-tasks',
  'list-untagged', 'list-users', 'list-volumes', 'lock-tag', 'make-task', 'maven-build', 'maven-chain',
  'mock-config', 'moshimoshi', 'move-build', 'promote-build', 'prune-signed-copies', 'regen-repo',
  'remove-external-repo', 'remove-group', 'remove-host-from-channel', 'remove-notification', 'remove-pkg',
  'remove-sig', 'remove-tag', 'remove-tag-inheritance', 'remove-target', 'repoinfo', 'request-repo',
  'restart-hosts', 'resubmit', 'revoke-cg-access', 'revoke-permission', 'rpminfo', 'scheduler-info',
  'scheduler-logs', 'search', 'set-build-volume', 'set-pkg-arches', 'set-pkg-owner', 'set-pkg-owner-global',
  'set-task-priority', 'show-groups', 'spin-appliance', 'spin-livecd', 'spin-livemedia', 'tag-build',
  'taginfo', 'taskinfo', 'unblock-group-pkg', 'unblock-group-req', 'unblock-notification', 'unblock-pkg',
  'unlock-tag', 'untag-build', 'userinfo', 'version', 'wait-repo', 'wait-repo-request', 'watch-logs',
  'watch-task', 'win-build', 'wrapper-rpm', 'write-signed-rpm',
]);
