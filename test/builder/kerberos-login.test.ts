/**
 * The daemons' Kerberos logins, as real processes against a real MIT KDC (test/helpers/kdc.ts)
 * and a hub with AuthKeytab over HTTPS: a builder with neither user nor cert logs in as its host
 * principal (host_principal_format with the machine's fully qualified name) from its keytab,
 * runs a task, and logs in again by itself when its session expires; kojira logs in with
 * principal/keytab and holds the exclusive session; a missing or wrong keytab, a principal the
 * KDC or the hub refuses and a hub named by a host the KDC has no service principal of stop the
 * daemon with a message saying what to check. The daemons get the KDC's krb5.conf (kdc.env) and
 * no other Kerberos setting from their environment.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientSession } from '../../src/protocol/client.ts';
import { fqdn } from '../../src/util/fqdn.ts';
import { startKojits, stopAll, type Proc } from '../cmd/proc.ts';
import { buildHost, taskIn, until, ST } from '../helpers/builder.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { kdcAvailable, localhostTls, startKdc, type Kdc } from '../helpers/kdc.ts';

const runIt = kdcAvailable() || process.env.CI === 'true';
const dir = mkdtempSync(join(tmpdir(), 'kojits-krbd-'));
const ca = join(dir, 'ca.crt');
let kdc: Kdc;
let host: string;
const keytabs: Record<string, string> = {};

/** A daemon with the KDC's files and nothing else of Kerberos from this process's environment. */
const daemon = (args: string[]): Proc => startKojits(args, { env: kdc.env, unset: /^KRB5/ });

beforeAll(async () => {
  if (!runIt) return;
  await localhostTls(dir);
  kdc = await startKdc();
  // the in-process hubs' acceptor reads krb5.conf from here
  Object.assign(process.env, kdc.env);
  host = await fqdn();
  for (const p of ['HTTP/localhost', `compile/${host}`, 'koji/kojira', 'koji/stranger', 'koji/banned']) await kdc.addPrincipal(p);
  keytabs.hub = await kdc.keytab(join(dir, 'hub.keytab'), 'HTTP/localhost');
  keytabs.builder = await kdc.keytab(join(dir, 'builder.keytab'), `compile/${host}`);
  keytabs.kojira = await kdc.keytab(join(dir, 'kojira.keytab'), 'koji/kojira');
  keytabs.stranger = await kdc.keytab(join(dir, 'stranger.keytab'), 'koji/stranger');
  keytabs.banned = await kdc.keytab(join(dir, 'banned.keytab'), 'koji/banned');
  await kdc.disablePrincipal('koji/banned');
  writeFileSync(join(dir, 'garbage.keytab'), 'not a keytab\n');
}, 60_000);

afterAll(async () => {
  await stopAll();
  await kdc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(runIt).each(engines())('Kerberos logins of the daemons on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  let server: string;
  let builderConf: string;
  let kojiraConf: (principal: string, keytab: string) => string;

  beforeAll(async () => {
    hub = await startTestHub(engine, {
      conf: `[hub]\nRunInterval = 1\nAuthKeytab = ${keytabs.hub}\nAuthPrincipal = HTTP/localhost@EXAMPLE.COM\nHostPrincipalFormat = compile/%s@EXAMPLE.COM\nLoginCreatesUser = False\n`,
      tls: { cert: join(dir, 'hub.pem'), ca },
      scheduler: { manual: false },
    });
    admin = await hub.login();
    server = (hub.httpsUrl as string).replace('127.0.0.1', 'localhost');
    const sub = join(dir, engine);
    rmSync(sub, { recursive: true, force: true });
    const h = await buildHost(admin, sub, server, host, { conf: `serverca = ${ca}\nhost_principal_format = compile/%s@EXAMPLE.COM\nkeytab = ${keytabs.builder}` });
    // no user, no password, no certificate: Kerberos it is
    writeFileSync(h.conf, readFileSync(h.conf, 'utf8').replace(/^(user|password) = .*\n/gm, ''));
    builderConf = h.conf;
    await admin.call('createUser', ['kojira'], { krb_principal: 'koji/kojira@EXAMPLE.COM' });
    await admin.call('grantPermission', ['kojira', 'repo']);
    await admin.call('createUser', ['banned'], { krb_principal: 'koji/banned@EXAMPLE.COM' });
    kojiraConf = (principal, keytab) => {
      const f = join(dir, `kojira-${engine}-${`${principal}-${basename(keytab)}`.replace(/\W/g, '_')}.conf`);
      writeFileSync(f, `[kojira]\nserver = ${server}\nserverca = ${ca}\nprincipal = ${principal}\nkeytab = ${keytab}\ntopdir = ${hub.kojiDir}\nsleeptime = 2\nmax_retries = 2\nretry_interval = 1\ncheck_external_repos = false\n`);
      return f;
    };
  }, 60_000);
  afterAll(async () => hub?.stop());

  it('a builder without user or certificate logs in as its host principal from the keytab, runs a task, and renews its session', async () => {
    const b = daemon(['builder', '-c', builderConf]);
    const ready = await b.waitFor(/ready/, 90_000);
    expect(ready).toContain(`koji-ts builder ready: host ${host} (id `);
    expect(ready).toContain(`(Kerberos principal compile/${host}@EXAMPLE.COM)`);
    expect(await admin.call('getUser', [host])).toMatchObject({ name: host, krb_principals: [`compile/${host}@EXAMPLE.COM`] });
    const hostId = ((await admin.call('getHost', [host])) as { id: number }).id;
    const first = await admin.call<number>('makeTask', ['sleep', [0]]);
    expect(await taskIn(admin, first, [ST.CLOSED, ST.FAILED])).toMatchObject({ state: ST.CLOSED, host_id: hostId });

    // every session outlives SessionRenewalTimeout for a moment: the builder's next call gets
    // fault 1007 and it logs in again (Kerberos, renew) on the same session
    const sessions = async () =>
      (await hub.db.rawQuery('SELECT s.id, s.authtype, s.renew_time, s.expired FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.name = $1 AND s.exclusive', [host])).rows as Array<Record<string, unknown>>;
    const [before] = await sessions();
    expect(before).toMatchObject({ authtype: 3, renew_time: null });
    hub.hub.options.SessionRenewalTimeout = 0.5 / 60;
    await new Promise((r) => setTimeout(r, 1500));
    hub.hub.options.SessionRenewalTimeout = 1440;
    const renewed = await until('the builder renewed its session', async () => {
      const [s] = await sessions();
      return s && s.renew_time !== null && s.expired === false ? s : null;
    }, 20_000, 200);
    expect(renewed.id).toBe(before.id);
    const second = await admin.call<number>('makeTask', ['sleep', [0]]);
    expect(await taskIn(admin, second, [ST.CLOSED, ST.FAILED])).toMatchObject({ state: ST.CLOSED, host_id: hostId });
    expect(await b.stop()).toBe(0);
  }, 120_000);

  it('kojira logs in with principal and keytab and holds the exclusive session', async () => {
    const conf = kojiraConf('koji/kojira@EXAMPLE.COM', keytabs.kojira);
    const k = daemon(['kojira', '-c', conf]);
    expect(await k.waitFor(/kojira ready/, 60_000)).toContain('logged in (Kerberos principal koji/kojira@EXAMPLE.COM) to');
    const rows = (await hub.db.rawQuery("SELECT s.authtype FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.name = 'kojira' AND s.exclusive AND NOT s.expired", [])).rows;
    expect(rows).toEqual([{ authtype: 3 }]);
    const second = daemon(['kojira', '-c', conf]);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain('Error: Unable to get lock. Trying using --force-lock');
    expect(await k.stop()).toBe(0);
  }, 90_000);

  it('stops with a message saying what to check: keytab missing, not a keytab, principal the KDC or the hub refuses, no service principal', async () => {
    const fails = async (args: string[]) => {
      const p = daemon(args);
      expect(await p.exited).toBe(1);
      return p.output();
    };
    const conf = readFileSync(builderConf, 'utf8');
    const missing = join(dir, `missing-${engine}.conf`);
    writeFileSync(missing, conf.replace(/^keytab = .*$/m, `keytab = ${join(dir, 'nowhere.keytab')}`));
    const garbage = join(dir, `garbage-${engine}.conf`);
    writeFileSync(garbage, conf.replace(/^keytab = .*$/m, `keytab = ${join(dir, 'garbage.keytab')}`));
    const outs = await Promise.all([
      fails(['builder', '-c', missing]),
      fails(['builder', '-c', garbage]),
      fails(['kojira', '-c', kojiraConf('koji/kojira@EXAMPLE.COM', keytabs.stranger)]),
      fails(['kojira', '-c', kojiraConf('koji/banned@EXAMPLE.COM', keytabs.banned)]),
      fails(['kojira', '-c', kojiraConf('koji/stranger@EXAMPLE.COM', keytabs.stranger)]),
      // the hub by another name: no HTTP/127.0.0.1 service principal
      fails(['kojira', '-c', kojiraConf('koji/kojira@EXAMPLE.COM', keytabs.kojira), '--server', hub.httpsUrl as string]),
    ]);
    expect(outs[0]).toContain(`kojits builder: Error: Kerberos keytab ${join(dir, 'nowhere.keytab')} does not exist: make it (kadmin: ktadd -k ${join(dir, 'nowhere.keytab')} compile/${host}@EXAMPLE.COM)`);
    expect(outs[1]).toContain(`kojits builder: Error: Kerberos keytab ${join(dir, 'garbage.keytab')} is not a keytab file: make it`);
    expect(outs[2]).toMatch(/kojits kojira: Kerberos authentication failed: .*; check that the keytab \S+stranger\.keytab holds the current keys of koji\/kojira@EXAMPLE\.COM/);
    expect(outs[3]).toMatch(/kojits kojira: Kerberos authentication failed: .*; check that .* KDC knows it and gives it tickets \(kadmin: getprinc koji\/banned@EXAMPLE\.COM\)/);
    expect(outs[4]).toMatch(/kojits kojira: Kerberos authentication failed: Unknown user: koji\/stranger@EXAMPLE\.COM; the hub refused koji\/stranger@EXAMPLE\.COM/);
    expect(outs[5]).toMatch(/kojits kojira: Kerberos authentication failed: .*; the KDC knows no HTTP\/127\.0\.0\.1@EXAMPLE\.COM: the hub's service principal/);
  }, 90_000);
});
