/**
 * What `kojits up` runs for a data folder and what it prints once they are ready: the hub from
 * hub.conf (PGlite under up's lock, or the server given), the builder from kojid.conf once this
 * kojits has the command, and the ready line read back from the hub's own.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockFolder } from '../../src/db/lock.ts';
import { dataLayout } from '../../src/setup/layout.ts';
import { HUB_READY, hubReadyLine, parseHubReadyLine } from '../../src/cmd/banner.ts';
import { dataFolderServices, readyBanner } from '../../src/cmd/up.ts';
import type { SetupSettings } from '../../src/setup/settings.ts';
import { ROOT } from './proc.ts';

const dir = mkdtempSync(join(tmpdir(), 'kojits-up-services-'));
const L = dataLayout(join(dir, 'data'));
const lock = lockFolder(L.dbDir);
afterAll(() => {
  lock.release();
  rmSync(dir, { recursive: true, force: true });
});
const r = { hubConf: L.hubConf, dbDir: L.dbDir, kojidConf: L.kojidConf, kojiraConf: L.kojiraConf, webConf: L.webConf, webSocket: L.webSocket };

describe('kojits up', () => {
  it('runs the hub on the PGlite folder under its lock, then the builder from kojid.conf', () => {
    const [hub, builder, ...rest] = dataFolderServices(r, undefined, lock, { has: (c) => c === 'builder' });
    expect(rest).toEqual([]);
    expect(hub.name).toBe('hub');
    expect(hub.command).toBe(process.execPath);
    expect(hub.args.slice(-6)).toEqual([join(ROOT, 'bin', 'kojits'), 'hub', '--config', L.hubConf, '--pglite', L.dbDir]);
    expect(Object.keys(hub.env!)).toEqual(['KOJITS_LOCK_TOKEN']);
    expect(builder.name).toBe('builder');
    // the all-in-one builder does not wait for a quiet machine
    expect(builder.env).toEqual({ KOJITS_KOJID_MAX_LOAD_PER_CPU: '0' });
    // --force-lock from the first start, as Koji's kojid.service: the exclusive session a killed
    // builder of this data folder left is taken over
    expect(builder.args.slice(-5)).toEqual([join(ROOT, 'bin', 'kojits'), 'builder', '-c', L.kojidConf, '--force-lock']);
    expect(builder.ready.test('kojits builder: localhost ready (maxjobs 10)')).toBe(true);
    expect(builder.ready.test('address already in use')).toBe(false);
  });

  it('runs kojira from kojira.conf after the builder', () => {
    const services = dataFolderServices(r, undefined, lock, { has: () => true });
    expect(services.map((s) => s.name)).toEqual(['hub', 'builder', 'kojira', 'web']);
    const kojira = services[2];
    expect(kojira.args.slice(-5)).toEqual([join(ROOT, 'bin', 'kojits'), 'kojira', '-c', L.kojiraConf, '--force-lock']);
    expect(kojira.ready.test('kojira ready: logged in (certificate x) to https://h/kojihub')).toBe(true);
  });

  it('runs the web from web.conf on the socket the hub forwards /koji to', () => {
    const services = dataFolderServices(r, undefined, lock, { has: () => true });
    const web = services[3];
    expect(web.args.slice(-4)).toEqual([join(ROOT, 'bin', 'kojits'), 'web', '-c', L.webConf]);
    expect(web.env).toEqual({ KOJITS_WEB_LISTENSOCKET: L.webSocket });
    expect(services[0].env).toMatchObject({ KOJITS_HUB_WEBSOCKET: L.webSocket });
    expect(web.ready.test('koji-ts web ready: unix:/d/run/web.sock (hub https://h/kojihub)')).toBe(true);
  });

  it('runs the hub on the PostgreSQL server given, and no builder while kojits has none', () => {
    const services = dataFolderServices(r, 'postgres://db.example/koji', lock, { has: () => false });
    expect(services.map((s) => s.name)).toEqual(['hub']);
    expect(services[0].args.slice(-5)).toEqual(['hub', '--config', L.hubConf, '--db', 'postgres://db.example/koji']);
  });

  it("reads the hub's ready line back", () => {
    const line = hubReadyLine({ https: 'https://127.0.0.1:8443/kojihub', http: 'http://127.0.0.1:8080/kojihub' }, '0.0.0.0');
    expect(line).toBe('koji-ts hub ready: https://127.0.0.1:8443/kojihub and http://127.0.0.1:8080/kojihub (listening on 0.0.0.0, every interface)');
    expect(HUB_READY.test(line)).toBe(true);
    expect(parseHubReadyLine(line)).toEqual({ urls: { https: 'https://127.0.0.1:8443/kojihub', http: 'http://127.0.0.1:8080/kojihub' }, listenAddress: '0.0.0.0' });
    expect(parseHubReadyLine(hubReadyLine({ https: 'https://[::1]:8443/kojihub', http: null }, '::1'))).toEqual({ urls: { https: 'https://[::1]:8443/kojihub', http: null }, listenAddress: '::1' });
  });

  it('prints one ready line that names the builder, the log files and the login commands', () => {
    const services = dataFolderServices(r, undefined, lock, { has: () => true });
    const ready = new Map([
      ['hub', hubReadyLine({ https: 'https://127.0.0.1:8443/kojihub', http: 'http://127.0.0.1:8080/kojihub' }, '127.0.0.1')],
      ['builder', 'localhost ready'],
      ['kojira', 'kojira ready'],
      ['web', 'koji-ts web ready: unix:/x/web.sock'],
    ]);
    const settings = { host: 'koji.example.test', builderName: 'builder1' } as SetupSettings;
    const lines = readyBanner({ settings, kojiConf: L.kojiConf, layout: L }, ready, services);
    expect(lines[0]).toBe('koji-ts hub ready: https://koji.example.test:8443/kojihub and http://koji.example.test:8080/kojihub (listening on 127.0.0.1); builder builder1 ready; kojira ready');
    expect(lines[1]).toBe('  web:               https://koji.example.test:8443/koji/');
    expect(lines[2]).toBe(`  logs:              ${L.logDir}/hub.log, ${L.logDir}/builder.log, ${L.logDir}/kojira.log, ${L.logDir}/web.log`);
    expect(lines[3]).toMatch(/^ {2}certificate login: .* -p kojits moshimoshi$/);
    expect(lines[5]).toMatch(/^ {2}first build: +\S*kojits demo --data \S+ +# /);
    expect(lines.filter((l) => /\bready\b/.test(l))).toHaveLength(1);
  });
});
