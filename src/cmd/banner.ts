/**
 * What `kojits up` and `kojits init` print: the hub's URLs as clients reach them, checked
 * against the client profiles of the data folder, and koji commands that work as printed
 * (bin/koji of this checkout, paths relative to the current folder when they are inside it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { parseIni } from '../config/ini.ts';
import { urlHost } from '../setup/configs.ts';
import type { DataLayout } from '../setup/layout.ts';
import type { InitResult } from '../setup/init.ts';
import { checkoutBin } from '../util/checkout.ts';

/** Quote for a POSIX shell when needed. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `path` relative to the current folder when it lies inside it, else absolute. */
export function shownPath(path: string, cwd = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

export { checkoutBin };

/** bin/NAME of this checkout as a command: `bin/NAME` from the checkout itself, else its absolute path. */
function binCommand(name: string, cwd: string): string {
  const bin = checkoutBin(name);
  if (!bin) return name;
  return relative(cwd, bin) === join('bin', name) ? `bin/${name}` : shellQuote(bin);
}

/** bin/koji of this checkout as a command. */
export const kojiCommand = (cwd = process.cwd()): string => binCommand('koji', cwd);

/** bin/kojits of this checkout as a command. */
export const kojitsShown = (cwd = process.cwd()): string => binCommand('kojits', cwd);

/** The two login commands for a data folder's client profiles. */
export function loginCommands(L: DataLayout, cwd = process.cwd()): { cert: string; password: string } {
  const koji = `${kojiCommand(cwd)} -c ${shellQuote(shownPath(L.kojiConf, cwd))}`;
  return {
    cert: `${koji} -p kojits moshimoshi`,
    password: `${koji} -p kojits-password --user kojiadmin --password "$(cat ${shellQuote(shownPath(L.adminPasswordFile, cwd))})" moshimoshi`,
  };
}

/** The hub's URL as clients reach it: the data folder's host with the port actually listened on. */
export function clientUrl(host: string, listenedUrl: string | null): string | null {
  if (!listenedUrl) return null;
  const u = new URL(listenedUrl);
  return `${u.protocol}//${urlHost(host)}:${u.port}${u.pathname}`;
}

/** Messages for each client profile whose server is not where the hub listens. */
export function profileMismatches(kojiConf: string, urls: { https: string | null; http: string | null }): string[] {
  if (!existsSync(kojiConf)) return [];
  const ini = parseIni(readFileSync(kojiConf, 'utf8'), kojiConf);
  const out: string[] = [];
  for (const [profile, want] of [['kojits', urls.https], ['kojits-password', urls.http]] as const) {
    const have = ini.get(profile)?.values.get('server');
    if (want && have !== undefined && have !== want) out.push(`${kojiConf}: profile ${profile} has server = ${have}, but the hub is at ${want}; edit one of them`);
  }
  return out;
}

/** Lines reporting the ports or listen address an init run changed. */
export function changeLines(r: Pick<InitResult, 'changes' | 'updated' | 'dataDir'>): string[] {
  if (!r.changes.length) return [];
  const what = r.changes.map((c) => `${c.key} from ${c.from ?? 'unset'} to ${c.to}`).join(', ');
  const files = r.updated.map((f) => relative(r.dataDir, f)).join(', ');
  return [`changed ${what}${files ? ` (updated ${files} and etc/kojits.json)` : ' (updated etc/kojits.json)'}`];
}

function listenLabel(address: string): string {
  return address === '0.0.0.0' || address === '::' ? `${address}, every interface` : address;
}

export interface HubUrls {
  https: string | null;
  http: string | null;
}

/** The line `kojits hub` prints once it serves (and `kojits up` reads from its hub). */
export function hubReadyLine(urls: HubUrls, listenAddress: string): string {
  return `koji-ts hub ready: ${[urls.https, urls.http].filter(Boolean).join(' and ')} (listening on ${listenLabel(listenAddress)})`;
}

export const HUB_READY = /^koji-ts hub ready: (.*) \(listening on ([^,)]*)(?:, every interface)?\)$/;

/** The URLs and listen address of a hubReadyLine. */
export function parseHubReadyLine(line: string): { urls: HubUrls; listenAddress: string } | null {
  const m = HUB_READY.exec(line);
  if (!m) return null;
  const urls = m[1].split(' and ');
  return { urls: { https: urls.find((u) => u.startsWith('https:')) ?? null, http: urls.find((u) => u.startsWith('http:')) ?? null }, listenAddress: m[2] };
}
