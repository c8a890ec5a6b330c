/** The command-line flags Koji's daemons (kojid, kojira) share, for node:util parseArgs. */
export const DAEMON_FLAGS = {
  config: { type: 'string', short: 'c' },
  'force-lock': { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  debug: { type: 'boolean', short: 'd' },
  fg: { type: 'boolean', short: 'f' },
  help: { type: 'boolean', short: 'h' },
} as const;
