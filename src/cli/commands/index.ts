/** All CLI commands, gathered from the per-group modules. */
import type { Command } from '../command.ts';
import { miscCommands } from './misc.ts';
import { userCommands } from './users.ts';
import { permCommands } from './perms.ts';
import { hostCommands } from './hosts.ts';
import { channelCommands } from './channels.ts';
import { tagCommands } from './tags.ts';
import { pkgCommands } from './pkgs.ts';
import { groupCommands } from './groups.ts';
import { targetCommands } from './targets.ts';
import { buildCommands } from './builds.ts';
import { historyCommands } from './history.ts';
import { importCommands } from './import.ts';
import { taskCommands } from './tasks.ts';
import { taskAdminCommands } from './tasks-admin.ts';
import { taskDownloadCommands } from './tasks-download.ts';
import { schedulerCommands } from './scheduler.ts';
import { repoCommands } from './repos.ts';
import { externalRepoCommands } from './external-repos.ts';
import { downloadCommands } from './download.ts';
import { signedCommands } from './signed.ts';
import { distRepoCommands } from './distrepo.ts';
import { buildSubmitCommands } from './build-submit.ts';
import { tagBuildCommands } from './tag-build.ts';
import { mockConfigCommands } from './mock-config.ts';
import { buildrootCommands } from './buildroots.ts';
import { notificationCommands } from './notifications.ts';
import { STOCK_COMMANDS } from '../stock-commands.ts';

export const COMMANDS: Command[] = [
  ...miscCommands,
  ...userCommands,
  ...permCommands,
  ...hostCommands,
  ...channelCommands,
  ...tagCommands,
  ...pkgCommands,
  ...groupCommands,
  ...targetCommands,
  ...buildCommands,
  ...buildSubmitCommands,
  ...tagBuildCommands,
  ...historyCommands,
  ...importCommands,
  ...taskCommands,
  ...taskAdminCommands,
  ...taskDownloadCommands,
  ...schedulerCommands,
  ...repoCommands,
  ...externalRepoCommands,
  ...downloadCommands,
  ...signedCommands,
  ...distRepoCommands,
  ...mockConfigCommands,
  ...buildrootCommands,
  ...notificationCommands,
];

const ALIASES: Record<string, string> = {
  'cancel-task': 'cancel',
  cxl: 'cancel',
  'list-commands': 'help',
  'move-pkg': 'move-build',
  move: 'move-build',
  'latest-pkg': 'latest-build',
  'tag-pkg': 'tag-build',
  tag: 'tag-build',
  'untag-pkg': 'untag-build',
  untag: 'untag-build',
  'watch-tasks': 'watch-task',
};

/** The command a typed name stands for, as the stock CLI reads it: Koji's aliases, and '_' as good as '-'. */
function commandName(typed: string): string {
  return (ALIASES[typed] ?? typed).replace(/_/g, '-');
}

export function findCommand(typed: string): Command | undefined {
  const n = commandName(typed);
  return COMMANDS.find((c) => c.name === n || c.aliases?.includes(n));
}

/** Whether a name we have no command for is one of the stock Koji CLI (so: not in koji-ts yet). */
export function isStockCommand(typed: string): boolean {
  return STOCK_COMMANDS.has(commandName(typed));
}
