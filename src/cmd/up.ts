/**
 * `kojits up --data DIR`: everything of a data folder, as supervised child processes. It
 * holds the data folder's lock for the whole run, creates or updates the folder (init), makes
 * and bootstraps the database when that is still to be done (`kojits _createdb`, a short-lived
 * child), then starts each program as it would run alone, with only its config:
 *
 *   hub      kojits hub --config DIR/etc/hub.conf (--pglite DIR/db, under up's lock | --db URL)
 *   builder  kojits builder -c DIR/etc/kojid.conf (once the hub is ready; when this kojits has it)
 *   kojira   kojits kojira -c DIR/etc/kojira.conf (keeps the build tags' repos current)
 *   web      kojits web -c DIR/etc/web.conf (kojiweb; the hub forwards /koji to its socket)
 *
 * and prints one ready line when all are ready. Their output goes to the console prefixed with
 * `[name]` and to DIR/log/<name>.log; one that ends is started again (see service/supervisor.ts);
 * SIGTERM, SIGINT or SIGHUP stop them all (a second signal kills them), then the lock is
 * released. Were `up` itself killed outright, its programs notice and stop (service/parent.ts).
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import type { InitResult } from '../setup/init.ts';
import { childEnv, type FolderLock } from '../db/lock.ts';
import { Supervisor, StartError } from '../service/supervisor.ts';
import type { ServiceSpec, Stream } from '../service/process.ts';
import { clientUrl, hubReadyLine, HUB_READY, kojitsShown, loginCommands, parseHubReadyLine, profileMismatches, shellQuote, shownPath } from './banner.ts';
import { kojitsCommand, runKojitsChild } from './child.ts';
import { bootstrapSpec, initFrom, isBootstrapped, lockDataFolder, say, serverUrl, SETUP_OPTIONS, type SetupValues } from './datadir.ts';

export interface UpOptions {
  /** whether this kojits has the subcommand (the builder may not exist yet) */
  has(command: string): boolean;
}

export async function cmdUp(argv: string[], o: UpOptions): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...SETUP_OPTIONS } });
  if (!values.data) throw new Error('--data DIR is required');
  const lock = lockDataFolder(values.data);
  try {
    return await upLocked(values, lock, o);
  } finally {
    lock.release();
  }
}

/** The programs `up` runs for a data folder, in start order. */
export function dataFolderServices(r: Pick<InitResult, 'hubConf' | 'dbDir' | 'kojidConf' | 'kojiraConf' | 'webConf'> & { webSocket: string }, db: string | undefined, lock: FolderLock, o: UpOptions): ServiceSpec[] {
  // the hub forwards /koji to the web's socket; given to both (data folders made before the web
  // existed have no WebSocket / ListenSocket keys)
  const web = o.has('web');
  const services: ServiceSpec[] = [
    {
      name: 'hub',
      ...kojitsCommand(['hub', '--config', r.hubConf, ...(db ? ['--db', db] : ['--pglite', r.dbDir])]),
      // the hub uses the PGlite folder under up's lock
      env: { ...childEnv(lock), ...(web ? { KOJITS_HUB_WEBSOCKET: r.webSocket } : {}) },
      ready: HUB_READY,
      readyTimeoutMs: 180_000,
    },
  ];
  if (o.has('builder')) {
    services.push({
      name: 'builder',
      // --force-lock as Koji's kojid.service: a builder of this data folder that ended without
      // logging out (killed, or its supervisor was) still holds the host's exclusive session
      ...kojitsCommand(['builder', '-c', r.kojidConf, '--force-lock']),
      // the all-in-one builder shares its machine with the hub and the database: kojid's check
      // of the load average (not ready above 4 per CPU) would keep it idle on any busy machine
      env: { KOJITS_KOJID_MAX_LOAD_PER_CPU: process.env.KOJITS_KOJID_MAX_LOAD_PER_CPU ?? '0' },
      ready: /\bready\b/,
      readyTimeoutMs: 120_000,
    });
  }
  if (o.has('kojira')) {
    services.push({
      name: 'kojira',
      // --force-lock as Koji's kojira.service, for the same reason
      ...kojitsCommand(['kojira', '-c', r.kojiraConf, '--force-lock']),
      ready: /\bready\b/,
      readyTimeoutMs: 120_000,
    });
  }
  if (web) {
    services.push({
      name: 'web',
      ...kojitsCommand(['web', '-c', r.webConf]),
      env: { KOJITS_WEB_LISTENSOCKET: r.webSocket },
      ready: /^koji-ts web ready: /,
      readyTimeoutMs: 60_000,
    });
  }
  return services;
}

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

async function upLocked(values: SetupValues, lock: FolderLock, o: UpOptions): Promise<number> {
  const r = await initFrom(values);
  if (r.created.length) say(`initialised ${r.dataDir} (${r.created.length} files/folders created)`);
  if (serverUrl(r, values.db) || !isBootstrapped(r, bootstrapSpec(r))) {
    // initdb runs in throw-away PGlite instances whose ~450 MB of WebAssembly memory V8 gives
    // back only after full collections: make (or bootstrap) the database in a child process,
    // whose memory goes with it
    await runKojitsChild(['_createdb', '--data', r.dataDir, ...(values.db ? ['--db', values.db] : [])], childEnv(lock));
  }
  const services = dataFolderServices({ ...r, webSocket: r.layout.webSocket }, values.db, lock, o);
  const sup = new Supervisor({ services, logDir: r.layout.logDir, output: echo, note: (l) => say(`kojits up: ${l}`) });
  let signalled: () => void = () => undefined;
  const signal = new Promise<void>((res) => (signalled = res));
  let signals = 0;
  // the first signal stops everything in order, a second one kills what still runs
  const onSignal = () => {
    signals += 1;
    signalled();
    void (signals === 1 ? sup.stop() : sup.kill());
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  try {
    let ready: Map<string, string> | null;
    try {
      ready = await sup.start();
    } catch (e) {
      if (!(e instanceof StartError)) throw e;
      const last = e.tail.filter((l) => l.trim()).at(-1);
      throw new Error(`the ${e.service} could not start (${e.reason})${last ? `: ${last}` : ''}`, { cause: e });
    }
    if (!ready) return 0;
    for (const l of readyBanner(r, ready, services)) say(l);
    await signal;
    say('stopping');
    await sup.stop();
    return 0;
  } finally {
    for (const s of SIGNALS) process.off(s, onSignal);
  }
}

/** A service's line on the console, prefixed with its name (its ready line is in the banner). */
function echo(service: string, stream: Stream, line: string, ready: boolean): void {
  if (ready) return;
  (stream === 'stdout' ? process.stdout : process.stderr).write(`[${service}] ${line}\n`);
}

/** What `up` prints once every program is ready: warnings, the ready line, logs, login commands. */
export function readyBanner(r: Pick<InitResult, 'settings' | 'kojiConf' | 'layout'>, ready: Map<string, string>, services: ServiceSpec[]): string[] {
  const hub = parseHubReadyLine(ready.get('hub') as string);
  if (!hub) throw new Error(`cannot read the hub's ready line: ${ready.get('hub')}`);
  const urls = { https: clientUrl(r.settings.host, hub.urls.https), http: clientUrl(r.settings.host, hub.urls.http) };
  const builder = `${ready.has('builder') ? `; builder ${r.settings.builderName} ready` : ''}${ready.has('kojira') ? '; kojira ready' : ''}`;
  const login = loginCommands(r.layout);
  return [
    ...profileMismatches(r.kojiConf, urls).map((w) => `warning: ${w}`),
    `${hubReadyLine(urls, hub.listenAddress)}${builder}`,
    ...(ready.has('web') ? [`  web:               ${urls.https ? urls.https.replace(/\/kojihub$/, '/koji/') : (urls.http as string).replace(/\/kojihub$/, '/koji/')}`] : []),
    `  logs:              ${services.map((s) => shownPath(join(r.layout.logDir, `${s.name}.log`))).join(', ')}`,
    `  certificate login: ${login.cert}`,
    `  password login:    ${login.password}`,
    ...(ready.has('builder') ? [`  first build:       ${kojitsShown()} demo --data ${shellQuote(shownPath(r.layout.dataDir))}   # base repo, target dist-foo, example SRPMs; then the koji build it prints`] : []),
  ];
}
