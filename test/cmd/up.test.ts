/**
 * `kojits up` as a real process: it listens where the host says (here 127.0.0.1, not every
 * interface), its ready line and the client profile agree — also after `--https-port` names
 * another port on an existing data folder — and the login commands it prints work as printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIni } from '../../src/config/ini.ts';
import { kojiCommand, loginCommands, shownPath } from '../../src/cmd/banner.ts';
import { dataLayout } from '../../src/setup/layout.ts';
import { freePort, stopAll, ROOT, startKojits, type Proc } from './proc.ts';

const dir = mkdtempSync(join(tmpdir(), 'kojits-up-'));
const data = join(dir, 'data');
const L = dataLayout(data);
let hub: Proc | null = null;

afterAll(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

/** Local addresses of the sockets listening on `port` (from /proc/net/tcp and tcp6). */
function listenAddresses(port: number): string[] {
  const out: string[] = [];
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== '0A' || !local) continue;
      const [addr, p] = local.split(':');
      if (parseInt(p, 16) !== port) continue;
      out.push(addr.length === 8 ? (addr.match(/../g) as string[]).reverse().map((b) => parseInt(b, 16)).join('.') : addr);
    }
  }
  return out;
}

/** Run a printed command line with sh in `cwd`. */
const sh = (line: string, cwd: string) => execFileSync('sh', ['-c', line], { cwd, encoding: 'utf8', timeout: 60_000 });

async function up(args: string[]): Promise<string> {
  hub = startKojits(['up', '--data', data, ...args], { cwd: ROOT });
  await hub.waitFor(/password login: .*moshimoshi$/, 90_000); // the banner's last line
  return hub.output();
}

async function down(): Promise<void> {
  expect(await hub!.stop()).toBe(0);
  hub = null;
}

let ports: number[];
beforeAll(async () => {
  ports = [await freePort(), await freePort(), await freePort()];
});

describe('kojits up', () => {
  it('listens on the host given, and prints commands that work as printed', async () => {
    const out = await up(['--host', '127.0.0.1', '--https-port', String(ports[0]), '--http-port', String(ports[1])]);
    expect(out).toContain(`koji-ts hub ready: https://127.0.0.1:${ports[0]}/kojihub and http://127.0.0.1:${ports[1]}/kojihub (listening on 127.0.0.1)`);
    expect(listenAddresses(ports[0])).toEqual(['127.0.0.1']);
    expect(listenAddresses(ports[1])).toEqual(['127.0.0.1']);
    expect(parseIni(readFileSync(L.hubConf, 'utf8')).get('hub')!.values.get('listenaddress')).toBe('127.0.0.1');

    const cert = /certificate login: (.*)\n/.exec(out)![1];
    const password = /password login: +(.*)\n/.exec(out)![1];
    expect(cert).toBe(`bin/koji -c ${L.kojiConf} -p kojits moshimoshi`);
    expect(sh(cert, ROOT)).toContain(`You are using the hub at https://127.0.0.1:${ports[0]}/kojihub`);
    expect(sh(password, ROOT)).toContain(`You are using the hub at http://127.0.0.1:${ports[1]}/kojihub`);
    await down();
  });

  it('follows --https-port on an existing data folder in every config file', async () => {
    const out = await up(['--https-port', String(ports[2])]);
    expect(out).toContain(`changed httpsPort from ${ports[0]} to ${ports[2]} (updated etc/hub.conf, etc/kojid.conf, etc/kojira.conf, etc/web.conf, client/koji.conf and etc/kojits.json)\n`);
    expect(out).not.toContain('warning');
    expect(out).toContain(`koji-ts hub ready: https://127.0.0.1:${ports[2]}/kojihub and http://127.0.0.1:${ports[1]}/kojihub`);
    expect(parseIni(readFileSync(L.kojiConf, 'utf8')).get('kojits')!.values.get('server')).toBe(`https://127.0.0.1:${ports[2]}/kojihub`);
    expect(JSON.parse(readFileSync(L.optionsFile, 'utf8')).httpsPort).toBe(ports[2]);
    const cert = /certificate login: (.*)\n/.exec(out)![1];
    expect(sh(cert, ROOT)).toContain(`You are using the hub at https://127.0.0.1:${ports[2]}/kojihub`);
    await down();
  });

  it('names bin/koji by the path that works from the current folder', () => {
    expect(kojiCommand(ROOT)).toBe('bin/koji');
    expect(kojiCommand(dir)).toBe(join(ROOT, 'bin', 'koji'));
    expect(shownPath(L.kojiConf, dir)).toBe(join('data', 'client', 'koji.conf'));
    expect(loginCommands(L, dir).cert).toBe(`${join(ROOT, 'bin', 'koji')} -c data/client/koji.conf -p kojits moshimoshi`);
    expect(loginCommands(dataLayout('/tmp/a b'), '/').cert).toBe(`${join(ROOT, 'bin', 'koji')} -c 'tmp/a b/client/koji.conf' -p kojits moshimoshi`);
  });
});
