/**
 * The web behind the hub, as `kojits up` runs them (real processes, loopback): certificate login
 * through the hub's TLS layer (the web acting for the user through ProxyDNs), password login,
 * headers a client forges ignored, CSRF tokens, a non-admin refused (403), an admin editing a
 * host (seen by `koji list-hosts`) and cancelling a task, logout.
 */
import https from 'node:https';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { ClientSession } from '../../src/protocol/client.ts';
import { freePort, startKojits, stopAll, type Proc } from '../cmd/proc.ts';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const dir = mkdtempSync(join(tmpdir(), 'kojits-web-login-'));
const data = join(dir, 'data');
let up: Proc;
let httpsBase: string;
let httpBase: string;

/** One request; `cert` sends the admin's client certificate. */
function request(url: string, o: { method?: string; cert?: boolean; cookie?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Reply> {
  const body = o.form ? new URLSearchParams(o.form).toString() : undefined;
  const headers: Record<string, string> = { ...o.headers };
  if (o.cookie) headers.cookie = o.cookie;
  if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
  const u = new URL(url);
  const tls = u.protocol === 'https:' ? { ca: readFileSync(join(data, 'client', 'serverca.crt')), ...(o.cert ? { cert: readFileSync(join(data, 'client', 'admin.pem')), key: readFileSync(join(data, 'client', 'admin.pem')) } : {}) } : {};
  return new Promise((resolve, reject) => {
    const req = (u.protocol === 'https:' ? https : http).request(u, { method: o.method ?? (body ? 'POST' : 'GET'), headers, ...tls, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const sessionCookie = (r: Reply) => (r.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).find((c) => c.startsWith('koji_session='));
const csrfOf = (html: string) => /name="csrf_token" value="([^"]+)"/.exec(html)?.[1];
const koji = (...args: string[]) => runCli(['-c', join(data, 'client', 'koji.conf'), '-p', 'kojits', ...args]);

beforeAll(async () => {
  const [p1, p2] = [await freePort(), await freePort()];
  up = startKojits(['up', '--data', data, '--https-port', String(p1), '--http-port', String(p2)]);
  await up.waitFor(/password login: .*moshimoshi$/, 150_000);
  httpsBase = `https://localhost:${p1}`;
  httpBase = `http://localhost:${p2}`;
  expect((await koji('add-user', 'alice')).exitCode).toBe(0);
}, 180_000);

afterAll(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('web logins and actions behind the hub', () => {
  let admin: string;

  it('logs a browser in with its certificate, the web acting for it', async () => {
    const r = await request(`${httpsBase}/koji/login?page=tasks`, { cert: true });
    expect([r.status, r.headers.location]).toEqual([302, '/koji/tasks']);
    const set = (r.headers['set-cookie'] ?? []).join('\n');
    expect(set).toMatch(/koji_session=[\w-]+\.[\w-]+; Path=\/koji; HttpOnly; SameSite=Lax; Max-Age=259200; Secure/);
    admin = sessionCookie(r)!;
    const page = await request(`${httpsBase}/koji/`, { cookie: admin });
    expect(page.body).toContain('<span>kojiadmin</span>');
  });

  it('ignores certificate headers a client sends itself and offers the password form', async () => {
    const r = await request(`${httpBase}/koji/login`, { headers: { 'X-Kojits-Client-Verify': 'SUCCESS', 'X-Kojits-Client-CN': 'kojiadmin' } });
    expect(r.status).toBe(200);
    expect(sessionCookie(r)).toBeUndefined();
    expect(r.body).toContain('<label for="password">Password</label>');
    // no certificate over HTTPS either: the form
    const plain = await request(`${httpsBase}/koji/login`);
    expect([plain.status, sessionCookie(plain)]).toEqual([200, undefined]);
  });

  it('logs in with a password; a wrong one is refused on the form', async () => {
    const password = readFileSync(join(data, 'client', 'admin-password'), 'utf8').trim();
    const bad = await request(`${httpBase}/koji/login`, { form: { user: 'kojiadmin', password: 'wrong', page: '' } });
    expect(bad.status).toBe(401);
    expect(bad.body).toMatch(/role="alert">[^<]*(password|login)/i);
    const ok = await request(`${httpBase}/koji/login`, { form: { user: 'kojiadmin', password, page: 'hosts' } });
    expect([ok.status, ok.headers.location]).toEqual([302, '/koji/hosts']);
    // plain HTTP: no Secure flag
    expect((ok.headers['set-cookie'] ?? []).join('')).not.toContain('Secure');
  });

  it('refuses actions without a login, without the CSRF token, and by a non-admin', async () => {
    const hosts = await new ClientSession(`${httpBase}/kojihub`).call<Array<{ id: number; name: string }>>('listHosts');
    const host = hosts[0];
    const noLogin = await request(`${httpsBase}/koji/hostedit`, { form: { hostID: String(host.id), capacity: '3', arches: 'x86_64' } });
    expect([noLogin.status, noLogin.body]).toEqual([401, expect.stringContaining('Log in first')]);
    const forged = await request(`${httpsBase}/koji/hostedit`, { cookie: admin, form: { hostID: String(host.id), capacity: '3', arches: 'x86_64', csrf_token: 'forged' } });
    expect([forged.status, forged.body]).toEqual([403, expect.stringContaining('CSRF')]);
    // alice (no admin permission) logs in with a password
    const ap = 'alice-web-pass-1';
    expect((await koji('call', 'kojits.setPassword', 'alice', ap)).exitCode).toBe(0);
    const alice = sessionCookie(await request(`${httpBase}/koji/login`, { form: { user: 'alice', password: ap } }))!;
    const form = await request(`${httpBase}/koji/hostedit?hostID=${host.id}`, { cookie: alice });
    const denied = await request(`${httpBase}/koji/hostedit`, { cookie: alice, form: { hostID: String(host.id), capacity: '3', arches: 'x86_64', csrf_token: csrfOf(form.body)! } });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatch(/admin|permission/i);
  });

  it('an admin edits a host (koji list-hosts shows it) and cancels a task', async () => {
    const hosts = await new ClientSession(`${httpBase}/kojihub`).call<Array<{ id: number; name: string; arches: string }>>('listHosts');
    const host = hosts[0];
    const form = await request(`${httpsBase}/koji/hostedit?hostID=${host.id}`, { cookie: admin });
    expect(form.status).toBe(200);
    const saved = await request(`${httpsBase}/koji/hostedit`, { cookie: admin, form: { hostID: String(host.id), capacity: '7.5', arches: host.arches, description: '<b>web</b>', comment: 'set from the web', enabled: 'on', csrf_token: csrfOf(form.body)! } });
    expect([saved.status, saved.headers.location]).toEqual([302, `/koji/hostinfo?hostID=${host.id}`]);
    const list = await koji('list-hosts');
    expect(list.output).toMatch(new RegExp(`^${host.name}\\s+Y\\s+\\S+\\s+\\S+/7\\.5\\s`, 'm'));
    const task = await makeTask();
    const info = await request(`${httpsBase}/koji/taskinfo?taskID=${task}`, { cookie: admin });
    expect(info.body).toContain('Cancel task');
    const cancel = await request(`${httpsBase}/koji/canceltask`, { cookie: admin, form: { taskID: String(task), csrf_token: csrfOf(info.body)! } });
    expect(cancel.status).toBe(302);
    expect((await koji('taskinfo', String(task))).output).toContain('State: canceled');
  });

  it('logs out: the cookie is cleared and no longer names a login', async () => {
    const page = await request(`${httpsBase}/koji/`, { cookie: admin });
    const out = await request(`${httpsBase}/koji/logout`, { cookie: admin, form: { csrf_token: csrfOf(page.body)! } });
    expect([out.status, (out.headers['set-cookie'] ?? []).join('')]).toEqual([302, expect.stringContaining('koji_session=; Path=/koji')]);
    const after = await request(`${httpsBase}/koji/`, { cookie: admin });
    expect(after.body).not.toContain('<span>kojiadmin</span>');
    expect(after.body).toContain('href="/koji/login"');
  });
});

/** A task to cancel (the admin's, by password over the hub's plain HTTP). */
async function makeTask(): Promise<number> {
  const hub = new ClientSession(`${httpBase}/kojihub`);
  await hub.login('kojiadmin', readFileSync(join(data, 'client', 'admin-password'), 'utf8').trim());
  await hub.call('createTag', ['web-cancel']);
  return hub.call<number>('makeTask', ['waitrepo', ['web-cancel', null, null]]);
}
