import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, AuthExpired, AuthLockError, ActionNotAllowed, RetryError, SequenceError } from '../../src/protocol/faults.ts';
import { ClientSession } from '../../src/protocol/client.ts';
import { engines } from '../helpers/db.ts';
import { ADMIN, startTestHub, type TestHub } from '../helpers/hub.ts';
import { encodeCall } from '../../src/protocol/encode.ts';
import { decodeResponse } from '../../src/protocol/decode.ts';

async function rawCall(url: string, method: string, params: unknown[], headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'text/xml', ...headers }, body: encodeCall(method, params as never) });
  return { status: res.status, version: res.headers.get('koji-version'), body: decodeResponse(await res.text()) };
}

describe.each(engines())('sessions and login on %s', (engine) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(engine, { conf: '[hub]\nSessionRenewalTimeout = 1440\n' });
  });
  afterAll(async () => hub?.stop());

  it('anonymous calls work and getLoggedInUser is None', async () => {
    const c = hub.anon();
    expect(await c.call('getAPIVersion')).toBe(1);
    expect(await c.call('getLoggedInUser')).toBeNull();
    expect(c.hubVersion).toBe('1.35.3');
  });

  it('password login gives a session with header-auth and the user', async () => {
    const c = await hub.login();
    expect(c.sinfo?.['header-auth']).toBe(true);
    expect(c.sinfo?.['session-key']).toMatch(/^\d+-[A-Za-z0-9]{19}$/);
    const me = (await c.call('getLoggedInUser')) as Record<string, unknown>;
    expect(me).toMatchObject({ name: ADMIN, status: 0, usertype: 0, authtype: 0, krb_principal: null, krb_principals: [] });
    const info = (await c.call('getSessionInfo', [], { details: true })) as Record<string, unknown>;
    expect(info).toMatchObject({ user_id: me.id, expired: false, master: null, authtype: 0, exclusive: null, id: c.sinfo?.['session-id'] });
    expect(Number(info.start_ts)).toBeGreaterThan(1.7e9);
  });

  it('refuses a wrong password and an unknown user with the same message', async () => {
    const c = hub.anon();
    await expect(c.login(ADMIN, 'wrong')).rejects.toThrow(AuthError);
    await expect(c.login('nobody', 'whatever')).rejects.toThrow('invalid username or password');
  });

  it('applies callnum rules: replayed writes fail, old callnums fail, replayed reads pass', async () => {
    const c = await hub.login();
    const sid = String(c.sinfo?.['session-id']);
    const key = String(c.sinfo?.['session-key']);
    const h = (n: number) => ({ 'Koji-Session-Id': sid, 'Koji-Session-Key': key, 'Koji-Session-Callnum': String(n) });
    // a read with callnum 5 is not recorded, so it can be replayed
    expect((await rawCall(hub.httpUrl!, 'getLoggedInUser', [], h(5))).body.ok).toBe(true);
    expect((await rawCall(hub.httpUrl!, 'getLoggedInUser', [], h(5))).body.ok).toBe(true);
    // a write with callnum 6 is recorded
    const w = await rawCall(hub.httpUrl!, 'createUser', ['callnum-user'], h(6));
    expect(w.body.ok).toBe(true);
    const replay = await rawCall(hub.httpUrl!, 'createUser', ['callnum-user-2'], h(6));
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ ok: false, faultCode: RetryError.faultCode });
    const old = await rawCall(hub.httpUrl!, 'getLoggedInUser', [], h(3));
    expect(old.body).toMatchObject({ ok: false, faultCode: SequenceError.faultCode });
    const bad = await rawCall(hub.httpUrl!, 'getLoggedInUser', [], { ...h(0), 'Koji-Session-Callnum': 'x' });
    expect(bad.body).toMatchObject({ ok: false, faultCode: AuthError.faultCode });
  });

  it('the client sends the calls of one session in callnum order, even when made in parallel', async () => {
    const c = await hub.login();
    const made = await Promise.all(Array.from({ length: 12 }, (_, i) => c.call('createTag', [`parallel-${i}`])));
    expect(new Set(made).size).toBe(12);
    c.close();
  });

  it('a call can be aborted; the session goes on', async () => {
    const c = await hub.login();
    const ac = new AbortController();
    const slow = c.call('getUser', [ADMIN], undefined, { signal: ac.signal });
    ac.abort(new Error('stop'));
    await expect(slow).rejects.toThrow('stop');
    expect(await c.call('getUser', [ADMIN])).toMatchObject({ name: ADMIN });
    c.close();
  });

  it('rejects a bad session key and a closed session', async () => {
    const c = await hub.login();
    const sid = String(c.sinfo?.['session-id']);
    const r = await rawCall(hub.httpUrl!, 'getLoggedInUser', [], { 'Koji-Session-Id': sid, 'Koji-Session-Key': 'nope', 'Koji-Session-Callnum': '1' });
    expect(r.body).toMatchObject({ ok: false, faultCode: 1002, faultString: 'Invalid session or bad credentials' });
    await c.logout();
    const after = await rawCall(hub.httpUrl!, 'getLoggedInUser', [], { 'Koji-Session-Id': sid, 'Koji-Session-Key': 'x', 'Koji-Session-Callnum': '9' });
    expect(after.body).toMatchObject({ ok: false, faultCode: 1002 });
  });

  it('accepts legacy session parameters in the query string', async () => {
    const c = await hub.login();
    const q = `?session-id=${c.sinfo?.['session-id']}&session-key=${encodeURIComponent(String(c.sinfo?.['session-key']))}&callnum=4`;
    const r = await rawCall(hub.httpUrl! + q, 'getLoggedInUser', []);
    expect(r.body.ok && (r.body.value as Record<string, unknown>).name).toBe(ADMIN);
  });

  it('subsessions share the user and are closed by logoutChild and by the master logout', async () => {
    const c = await hub.login();
    const sub = await c.subsession();
    expect(((await sub.call('getLoggedInUser')) as Record<string, unknown>).name).toBe(ADMIN);
    const info = (await sub.call('getSessionInfo')) as Record<string, unknown>;
    expect(info.master).toBe(c.sinfo?.['session-id']);
    await c.call('logoutChild', [sub.sinfo?.['session-id']]);
    await expect(sub.call('getLoggedInUser')).rejects.toThrow('Invalid session or bad credentials');
    const sub2 = await c.subsession();
    await c.logout();
    await expect(sub2.call('getLoggedInUser')).rejects.toThrow(AuthError);
  });

  it('exclusive sessions lock out the other sessions of the user until dropped', async () => {
    await (await hub.login()).call('createUser', ['excl-user']);
    const admin = await hub.login();
    await admin.call('kojits.setPassword', ['excl-user', 'excl-password']);
    const a = await hub.login('excl-user', 'excl-password');
    const b = await hub.login('excl-user', 'excl-password');
    await a.call('exclusiveSession');
    await expect(b.call('getLoggedInUser')).rejects.toThrow(AuthLockError);
    await expect(b.call('exclusiveSession')).rejects.toThrow('Cannot get exclusive session');
    const sub = await a.subsession();
    expect(((await sub.call('getSessionInfo')) as Record<string, unknown>).master).toBe(a.sinfo?.['session-id']);
    await b.call('exclusiveSession', [], { force: true });
    await expect(a.call('getLoggedInUser')).rejects.toThrow(AuthError);
    await b.call('sharedSession');
    const c = await hub.login('excl-user', 'excl-password');
    expect(((await c.call('getLoggedInUser')) as Record<string, unknown>).name).toBe('excl-user');
  });

  it('disabled users cannot log in or keep using their sessions', async () => {
    const admin = await hub.login();
    await admin.call('createUser', ['blocked-user']);
    await admin.call('kojits.setPassword', ['blocked-user', 'blocked-password']);
    const u = await hub.login('blocked-user', 'blocked-password');
    await admin.call('disableUser', ['blocked-user']);
    await expect(u.call('getLoggedInUser')).rejects.toThrow('logins by blocked-user are not allowed');
    await expect(hub.login('blocked-user', 'blocked-password')).rejects.toThrow('logins by blocked-user are not allowed');
    await admin.call('enableUser', ['blocked-user']);
    expect(((await u.call('getLoggedInUser')) as Record<string, unknown>).name).toBe('blocked-user');
  });

  it('expired sessions fault with 1007 and the client renews them transparently', async () => {
    const c = await hub.login();
    const sid = c.sinfo?.['session-id'];
    const key = c.sinfo?.['session-key'];
    // age the session past SessionRenewalTimeout (1440 minutes)
    await hub.db.rawQuery(`UPDATE sessions SET start_time = NOW() - interval '2 days' WHERE id = $1`, [sid]);
    const raw = await rawCall(hub.httpUrl!, 'getLoggedInUser', [], { 'Koji-Session-Id': String(sid), 'Koji-Session-Key': String(key), 'Koji-Session-Callnum': '50' });
    expect(raw.body).toMatchObject({ ok: false, faultCode: AuthExpired.faultCode });
    // the client re-logs in with renew=True: same session id, new key
    const me = (await c.call('getLoggedInUser')) as Record<string, unknown>;
    expect(me.name).toBe(ADMIN);
    expect(c.sinfo?.['session-id']).toBe(sid);
    expect(c.sinfo?.['session-key']).not.toBe(key);
    const info = (await c.call('getSessionInfo')) as Record<string, unknown>;
    expect(info.renew_time).not.toBeNull();
  });

  it('binds sessions to the client address', async () => {
    const c = await hub.login();
    await hub.db.rawQuery(`UPDATE sessions SET hostip = '10.9.8.7' WHERE id = $1`, [c.sinfo?.['session-id']]);
    await expect(c.call('getLoggedInUser')).rejects.toThrow('Invalid session or bad credentials');
  });

  it('only admins or the owner may log out another session', async () => {
    const admin = await hub.login();
    await admin.call('createUser', ['other-user']);
    await admin.call('kojits.setPassword', ['other-user', 'other-password']);
    const other = await hub.login('other-user', 'other-password');
    const victim = await hub.login();
    await expect(other.call('logout', [], { session_id: victim.sinfo?.['session-id'] })).rejects.toThrow(ActionNotAllowed);
    await admin.call('logout', [], { session_id: other.sinfo?.['session-id'] });
    await expect(other.call('getLoggedInUser')).rejects.toThrow(AuthError);
  });

  it('sslLogin over plain HTTP says why the client was not verified', async () => {
    const c = new ClientSession(hub.httpUrl!.replace('http:', 'http:'), { maxRetries: 0 });
    const r = await rawCall(hub.httpUrl!, 'sslLogin', [{ proxyuser: null, __starstar: true }]);
    expect(r.body).toMatchObject({ ok: false, faultCode: 1002, faultString: 'could not verify client: None' });
    c.close();
  });
});
