/**
 * The command list the stock CLI prints for `koji help`, `koji --help-commands`, no command or
 * an unknown one: commands grouped by help category, then the epilog. Categories the stock CLI
 * has but none of our commands are in yet (bind, build, …) are left out of the listing and of
 * the epilog; `koji help <such a category>` still is no error. Kept apart from main.ts and the
 * command registry so that command modules can use it without an import cycle (the caller
 * passes the commands in).
 */
import type { Command } from './command.ts';

export const CATEGORIES: Record<string, string> = {
  admin: 'admin commands',
  bind: 'bind commands',
  build: 'build commands',
  download: 'download commands',
  info: 'info commands',
  misc: 'miscellaneous commands',
  monitor: 'monitor commands',
  search: 'search commands',
};

/** The stock CLI's "Common commands" of `koji --help`. */
const COMMON_COMMANDS = ['build', 'download-build', 'help', 'latest-build', 'list-targets', 'search'];

/** The categories that hold at least one of `commands`, sorted. */
function usedCategories(commands: readonly Command[]): string[] {
  return Object.keys(CATEGORIES).filter((cat) => commands.some((c) => c.category === cat)).sort();
}

/** The "Common commands: …" line of `koji --help`, naming only commands we have. */
export function commonCommandsLine(commands: readonly Command[]): string {
  return `Common commands: ${COMMON_COMMANDS.filter((n) => commands.some((c) => c.name === n)).join(', ')}`;
}

export function epilog(prog: string, commands: readonly Command[]): string {
  const cats = ['all', ...usedCategories(commands)].sort().join(', ');
  return `\nTry "${prog} --help" for help about global options\nTry "${prog} help" to get all available commands\nTry "${prog} <command> --help" for help about the options of a particular command\nTry "${prog} help <category>" to get commands under a particular category\nAvailable categories are: ${cats}\n`;
}

/** The lines of one help category: a blank line, its title and its commands by name (nothing for an empty category). */
export function categoryLines(commands: readonly Command[], cat: string): string[] {
  const sorted = commands.filter((x) => x.category === cat).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (sorted.length === 0) return [];
  return ['', `${CATEGORIES[cat]}:`, ...sorted.map((c) => `        ${c.name.padEnd(25)} ${c.summary}`)];
}

/** "Available commands:" and each chosen category (all when none or 'all' is chosen) with its commands. */
export function listCommands(prog: string, commands: readonly Command[], chosen?: Iterable<string>): string {
  const picked = chosen ? [...chosen] : [];
  const cats = picked.length === 0 || picked.includes('all') ? Object.keys(CATEGORIES) : picked;
  const out = ['Available commands:'];
  for (const cat of cats.slice().sort()) out.push(...categoryLines(commands, cat));
  return out.join('\n') + '\n' + epilog(prog, commands).replace(/\n$/, '') + '\n';
}
