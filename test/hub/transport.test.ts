import { Float } from '../../src/protocol/values.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResponse } from '../../src/protocol/decode.ts';
import { encodeCall } from '../../src/protocol/encode.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { method } from '../../src/hub/registry.ts';

/** A method with a bug in it: what a non-Koji failure looks like to clients. */
function addBuggyMethod(hub: TestHub, error: Error = new TypeError("Cannot read properties of undefined (reading 'id')")): void {
  hub.hub.registry.add(
    method({
      name: 'test.buggy',
      sig: '()',
      handler() {
        throw error;
      },
    }),
  );
}

async function post(url: string, body: string, headers: Record<string, string> = { 'Content-Type': 'text/xml' }) {
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), version: res.headers.get('koji-version'), text };
}

describe.each(engines())('hub transport and bad input on %s', (engine) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(engine, { conf: '[hub]\nMaxRequestLength = 2048\n' });
  });
  afterAll(async () => hub?.stop());

  const stillServing = async () => expect(await hub.anon().call('getAPIVersion')).toBe(1);

  it('answers GET with 405, Allow: POST and the Koji-Version header', async () => {
    const res = await fetch(hub.httpUrl!);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(res.headers.get('koji-version')).toBe('1.35.3');
  });

  // Koji's hub answers its parser's errors with a fault; an HTTP error would make clients retry
  // the same bytes for ten minutes
  it('answers malformed, truncated, non-XML and empty bodies with a fault over HTTP 200', async () => {
    for (const body of ['<methodCall><methodName>hello</methodName><params>', 'GET / HTTP/1.0', '\x00\x01binary', '<methodCall>', '']) {
      const r = await post(hub.httpUrl!, body);
      expect(r.status, body).toBe(200);
      expect(r.type).toBe('text/xml');
      expect(r.version).toBe('1.35.3');
      expect(decodeResponse(r.text), body).toEqual({ ok: false, faultCode: 1000, faultString: expect.stringMatching(/^Invalid request: /) });
    }
    expect(decodeResponse((await post(hub.httpUrl!, '')).text)).toMatchObject({ faultString: 'Invalid request: Empty request' });
    await stillServing();
  });

  it('refuses bodies over MaxRequestLength with fault 1000', async () => {
    const big = encodeCall('echo', ['x'.repeat(5000)]);
    const r = await post(hub.httpUrl!, big);
    expect(r.status).toBe(200);
    expect(decodeResponse(r.text)).toEqual({ ok: false, faultCode: 1000, faultString: 'Request too long' });
    await stillServing();
  });

  it('answers an unknown method with fault 1000 over HTTP 200', async () => {
    const r = await post(hub.httpUrl!, encodeCall('noSuchMethod', []));
    expect(r.status).toBe(200);
    expect(decodeResponse(r.text)).toEqual({ ok: false, faultCode: 1000, faultString: 'Invalid method: noSuchMethod' });
  });

  it('checks argument counts, keywords and types with fault 1019', async () => {
    const c = hub.anon();
    await expect(c.call('getUser', [1, false, true, false, 'extra'])).rejects.toMatchObject({ faultCode: 1019, message: 'getUser() takes from 0 to 4 positional arguments but 5 were given' });
    await expect(c.call('getChannel')).rejects.toMatchObject({ faultCode: 1019, message: "getChannel() missing 1 required positional argument: 'channelInfo'" });
    await expect(c.call('getUser', [], { bogus: 1 })).rejects.toMatchObject({ faultCode: 1019, message: "getUser() got an unexpected keyword argument 'bogus'" });
    await expect(c.call('getUser', [1], { userInfo: 2 })).rejects.toMatchObject({ faultCode: 1019, message: "getUser() got multiple values for argument 'userInfo'" });
    await expect(c.call('getHost', [1], { event: 'yesterday' })).rejects.toMatchObject({ faultCode: 1019, message: expect.stringContaining("invalid type for argument 'event' of getHost()") });
    await expect(c.call('getUser', [[1, 2]])).rejects.toMatchObject({ faultCode: 1000, message: 'Invalid type for userInfo: object' });
  });

  it('refuses privileged calls when anonymous or without the permission', async () => {
    await expect(hub.anon().call('createUser', ['x'])).rejects.toMatchObject({ faultCode: 1004, message: 'admin permission required (user not logged in)' });
    const admin = await hub.login();
    await admin.call('createUser', ['plain-user']);
    await admin.call('kojits.setPassword', ['plain-user', 'plain-password']);
    const plain = await hub.login('plain-user', 'plain-password');
    await expect(plain.call('addHost', ['h1', ['x86_64']])).rejects.toMatchObject({ faultCode: 1004, message: 'host permission required (logged in as plain-user)' });
    await expect(plain.call('showOpts')).rejects.toMatchObject({ faultCode: 1004 });
  });

  it('reports non-Koji failures as fault 1 with the class name, without server paths', async () => {
    addBuggyMethod(hub, new TypeError(`ENOENT: no such file or directory, open '${hub.kojiDir}/work/a/b.rpm' (from /usr/lib/node/x.js)`));
    await expect(hub.anon().callAny('test.buggy')).rejects.toMatchObject({ faultCode: 1, message: "<class 'TypeError'>: ENOENT: no such file or directory, open 'work/a/b.rpm' (from …/x.js)" });
    await stillServing();
  });

  it('sends Koji-Version on every reply', async () => {
    const r = await post(hub.httpUrl!, encodeCall('hello', []));
    expect(r.version).toBe('1.35.3');
    expect(decodeResponse(r.text)).toEqual({ ok: true, value: 'Hello World' });
    const nf = await fetch(hub.httpUrl!.replace('/kojihub', '/nowhere'));
    expect(nf.status).toBe(404);
    expect(nf.headers.get('koji-version')).toBe('1.35.3');
  });

  it('echo returns its arguments; keyword structs are not arguments', async () => {
    expect(await hub.anon().call('echo', ['OK'])).toEqual(['OK']);
    expect(await hub.anon().call('echo', [1, null, { a: [true] }])).toEqual([1, null, { a: [true] }]);
  });
});

describe.each(engines())('multicall on %s', (engine) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(engine);
  });
  afterAll(async () => hub?.stop());

  it('returns results in order, faults in place, and keeps the successful writes', async () => {
    const admin = await hub.login();
    const res = await admin.multiCall([
      { method: 'createUser', args: ['mc-one'] },
      { method: 'createUser', args: ['mc-one'] },
      { method: 'noSuchMethod' },
      { method: 'createUser', args: ['mc-two'] },
      { method: 'getUser', args: ['mc-two'] },
    ]);
    expect(Array.isArray(res[0])).toBe(true);
    expect(res[1]).toEqual({ faultCode: 1000, faultString: 'user already exists: mc-one' });
    expect(res[2]).toEqual({ faultCode: 1000, faultString: 'Invalid method: noSuchMethod' });
    expect((res[4] as [Record<string, unknown>])[0].name).toBe('mc-two');
    expect(await admin.call('getUser', ['mc-one'])).not.toBeNull();
  });

  it('rolls back only the failing call (savepoints) and gives each call its own event', async () => {
    const admin = await hub.login();
    await admin.call('addHost', ['mc-host', ['x86_64']]);
    const before = (await admin.call('getLastEvent')) as { id: number };
    const res = await admin.multiCall([
      { method: 'editHost', args: ['mc-host'], kwargs: { capacity: 4 } },
      { method: 'editHost', args: ['mc-host'], kwargs: { capacity: 0.5 } },
      { method: 'editHost', args: ['mc-host'], kwargs: { comment: 'hi' } },
    ]);
    expect(res[0]).toEqual([true]);
    expect(res[1]).toMatchObject({ faultCode: 1000 });
    expect(res[2]).toEqual([true]);
    const host = (await admin.call('getHost', ['mc-host'])) as Record<string, unknown>;
    expect(host.capacity).toEqual(new Float(4));
    expect(host.comment).toBe('hi');
    const after = (await admin.call('getLastEvent')) as { id: number };
    expect(after.id - before.id).toBe(2);
    // the past is still there
    const old = (await admin.call('getHost', ['mc-host'], { event: before.id })) as Record<string, unknown>;
    expect(old.capacity).toEqual(new Float(2));
  });

  it('reports a non-Koji failure without a traceback (unless KojiDebug)', async () => {
    addBuggyMethod(hub);
    const res = await hub.anon().multiCall([{ method: 'test.buggy' }, { method: 'getEvent', args: [2 ** 40] }, { method: 'hello' }]);
    expect(res[0]).toEqual({ faultCode: 1, faultString: "<class 'TypeError'>: Cannot read properties of undefined (reading 'id')" });
    expect(res[1]).toMatchObject({ faultCode: 1019 });
    expect(res[2]).toEqual(['Hello World']);
    const debug = await startTestHub(engine, { conf: '[hub]\nKojiDebug = True\n' });
    try {
      addBuggyMethod(debug);
      const [entry] = await debug.anon().multiCall([{ method: 'test.buggy' }]);
      expect(Array.isArray((entry as { traceback: string[] }).traceback)).toBe(true);
    } finally {
      await debug.stop();
    }
  });

  it('refuses a malformed multicall', async () => {
    await expect(hub.anon().call('multiCall', ['not a list'])).rejects.toMatchObject({ faultCode: 1019 });
    const res = await hub.anon().call('system.multicall', [[{ methodName: 'multiCall', params: [[]] }, 5]]);
    expect(res).toEqual([{ faultCode: 1000, faultString: 'multicall cannot be nested' }, { faultCode: 1019, faultString: 'each multicall entry must be a struct with methodName and params' }]);
  });
});

describe.each(engines())('offline and lock-out on %s', (engine) => {
  it('ServerOffline answers every call with fault 1014', async () => {
    const hub = await startTestHub(engine, { conf: '[hub]\nServerOffline = True\nOfflineMessage = back at noon\n' });
    try {
      await expect(hub.anon().call('getAPIVersion')).rejects.toMatchObject({ faultCode: 1014, message: 'back at noon' });
    } finally {
      await hub.stop();
    }
  });

  it('LockOut lets only admins (and logins) through', async () => {
    const hub = await startTestHub(engine, { conf: '[hub]\nLockOut = True\n' });
    try {
      await expect(hub.anon().call('getAPIVersion')).rejects.toMatchObject({ faultCode: 1014, message: 'Server disabled for maintenance' });
      const admin = await hub.login();
      expect(await admin.call('getAPIVersion')).toBe(1);
    } finally {
      await hub.stop();
    }
  });
});
