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
  ...historyCommands,
  ...importCommands,
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

export function findCommand(name: string): Command | undefined {
  const n = ALIASES[name] ?? name;
  return COMMANDS.find((c) => c.name === n || c.aliases?.includes(n));
}
