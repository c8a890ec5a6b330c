/**
 * Odd input as an attacker (or Python's xmlrpc.client) sends it: every case gets a Koji fault
 * with a clear message — never fault 1, an HTTP error, a silently changed value, or a server
 * path — and `__proto__` is data, not a prototype.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResponse } from '../../src/protocol/decode.ts';
import { encodeCall } from '../../src/protocol/encode.ts';
import { Binary, DateTime, Float, type XmlRpcValue } from '../../src/protocol/values.ts';
import type { ClientSession } from '../../src/protocol/client.ts';
import { engines } from '../helpers/db.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

type Row = Record<string, XmlRpcValue>;
type Fault = { faultCode: number; message: string };

async function faultOf(p: Promise<unknown>): Promise<Fault> {
  return p.then(
    (v) => {
      throw new Error(`expected a fault, got ${JSON.stringify(v)}`);
    },
    (e: unknown) => e as Fault,
  );
}

async function post(url: string, xml: string) {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: xml });
  return { status: res.status, reply: decodeResponse(await res.text(), { floats: true }) };
}

const call = (method: string, value: string) => `<?xml version='1.0'?><methodCall><methodName>${method}</methodName><params><param><value>${value}</value></param></params></methodCall>`;

describe.each(engines())('input edge cases on %s', (engine) => {
  let hub: TestHub;
  let admin: ClientSession;
  beforeAll(async () => {
    hub = await startTestHub(engine);
    admin = await hub.login();
  });
  afterAll(async () => hub?.stop());

  it('stores tag extra values as they were sent: 64-bit ints, doubles, NaN and infinities', async () => {
    const extra = { big: 9223372036854775807n, neg: -9223372036854775808n, nan: new Float(NaN), inf: new Float(Infinity), huge: Number('1e999'), minf: -Infinity, half: 0.5, i: 7 };
    await admin.call('createTag', ['json-values'], { extra });
    const tag = await admin.call<Row>('getTag', ['json-values']);
    expect(tag.extra).toEqual({ big: 9223372036854775807n, neg: -9223372036854775808n, nan: new Float(NaN), inf: new Float(Infinity), huge: new Float(Infinity), minf: new Float(-Infinity), half: new Float(0.5), i: 7 });
    // the reply carries them as Python would: <i8>, <double>inf</double>, <double>nan</double>
    const raw = await fetch(hub.httpUrl!, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: encodeCall('getTag', ['json-values']) }).then((r) => r.text());
    expect(raw).toContain('<i8>9223372036854775807</i8>');
    expect(raw).toContain('<double>inf</double>');
    expect(raw).toContain('<double>nan</double>');
    expect(raw).toContain('<double>0.5</double>');
    // editing with the same values is no change; snapshots copy them exactly
    const before = await admin.call<Row>('getLastEvent');
    await admin.call('editTag2', ['json-values'], { extra: { big: 9223372036854775807n, nan: new Float(NaN), i: 7 } });
    expect(((await admin.call<Row>('queryHistory', [], { tables: ['tag_extra'], afterEvent: before.id as number })).tag_extra as unknown[]).length).toBe(0);
    await admin.call('snapshotTag', ['json-values', 'json-copy']);
    expect((await admin.call<Row>('getTag', ['json-copy'])).extra).toEqual(tag.extra);
    expect((await admin.call<Row>('getBuildConfig', ['json-copy'])).extra).toEqual(tag.extra);
  });

  it('refuses base64 and dateTime values in extra with a ParameterError naming the key', async () => {
    expect(await faultOf(admin.call('createTag', ['json-bytes'], { extra: { ok: 1, blob: new Binary(Buffer.from('hi')) } }))).toMatchObject({
      faultCode: 1019,
      message: "Cannot store a base64 (bytes) value: extra data is kept as JSON (tag extra 'blob')",
    });
    expect(await admin.call('getTag', ['json-bytes'])).toBeNull();
    await admin.call('createTag', ['json-dates']);
    expect(await faultOf(admin.call('editTag2', ['json-dates'], { extra: { when: { at: [new DateTime('20240101T10:00:00')] } } }))).toMatchObject({
      faultCode: 1019,
      message: expect.stringContaining("(tag extra 'when', key 'at' → '0')"),
    });
    expect((await admin.call<Row>('getTag', ['json-dates'])).extra).toEqual({});
  });

  it('keeps __proto__, constructor and prototype as ordinary keys', async () => {
    const extra = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": "c", "prototype": [1]}') as Row;
    await admin.call('createTag', ['json-proto'], { extra });
    const tag = await admin.call<Row>('getTag', ['json-proto']);
    expect(Object.keys(tag.extra as Row).sort()).toEqual(['__proto__', 'constructor', 'prototype']);
    expect((tag.extra as Row).polluted).toBeUndefined();
    expect(await faultOf(admin.call('editTag2', ['json-values'], { remove_extra: ['constructor', 'toString'] }))).toMatchObject({
      faultCode: 1000,
      message: "Tag: json-values doesn't have extra: constructor, toString",
    });
    await admin.call('editTag2', ['json-proto'], { remove_extra: ['__proto__'] });
    expect(Object.keys((await admin.call<Row>('getTag', ['json-proto'])).extra as Row).sort()).toEqual(['constructor', 'prototype']);
  });

  it('editHost: a __proto__ keyword changes nothing', async () => {
    await admin.call('addHost', ['proto-host', ['x86_64']]);
    const kwargs = JSON.parse('{"__proto__": {"description": "x", "comment": "y"}}') as Record<string, XmlRpcValue>;
    // Koji's editHost ignores keywords it does not know
    expect(await admin.call('editHost', ['proto-host'], kwargs)).toBe(false);
    expect(await admin.call<Row>('getHost', ['proto-host'])).toMatchObject({ description: null, comment: null });
    // where a method takes no such keyword, it is an unexpected keyword like any other
    expect(await faultOf(admin.call('getHost', ['proto-host'], kwargs))).toMatchObject({ faultCode: 1019, message: "getHost() got an unexpected keyword argument '__proto__'" });
    expect(await faultOf(admin.call('getHost', ['proto-host'], { constructor: 1 } as never))).toMatchObject({ faultCode: 1019, message: "getHost() got an unexpected keyword argument 'constructor'" });
    expect(await faultOf(admin.call('listBuilds', [], { state: 'constructor' }))).toMatchObject({ faultCode: 1019 });
  });

  it('listTagged(latest=1.5) is latest=2, as in Koji', async () => {
    await admin.call('createTag', ['latest-tag']);
    expect(await admin.call('listTagged', ['latest-tag'], { latest: new Float(1.5) })).toEqual([]);
    expect(await admin.call('listTagged', ['latest-tag'], { latest: new Float(NaN) })).toEqual([]);
    expect(await admin.call('listTaggedRPMS', ['latest-tag'], { latest: -0.5 })).toEqual([[], []]);
  });

  it('answers ids beyond 32 bits with a ParameterError naming the argument', async () => {
    const cases: Array<[string, XmlRpcValue[], Record<string, XmlRpcValue>?]> = [
      ['getTag', [2 ** 40]],
      ['getUser', [2 ** 31]],
      ['getHost', [-(2 ** 31) - 1]],
      ['getBuild', [9007199254740991]],
      ['getEvent', [2 ** 40]],
      ['getTaskInfo', [2n ** 62n]],
      ['listBuilds', [], { userID: 2 ** 40 }],
      ['listTagged', ['json-values'], { event: 2 ** 40 }],
      ['editTag2', ['json-values'], { perm_id: 2 ** 40 }],
    ];
    for (const [m, args, kw] of cases) {
      const f = await faultOf(admin.callAny(m, args, kw));
      expect(f, m).toMatchObject({ faultCode: 1019 });
      expect(f.message, m).toMatch(/out of range|32-bit/);
    }
    expect(await faultOf(admin.call('getTag', [{ id: 2 ** 40 }]))).toMatchObject({ faultCode: 1019, message: "Invalid id value: {'id': 1099511627776} (ids are 32-bit integers)" });
    // wide numbers where Koji takes them: sizes and timestamps
    expect(await admin.call('listArchives', [], { size: 2 ** 40 })).toEqual([]);
    expect(await admin.call('listBuilds', [], { createdBefore: 2 ** 32 })).toEqual([]);
    expect(await faultOf(admin.call('listBuilds', [], { createdBefore: 2 ** 40 }))).toMatchObject({ faultCode: 1019, message: expect.stringMatching(/^invalid value: /) });
  });

  it('turns values the database cannot read into ParameterErrors, not fault 1', async () => {
    expect(await faultOf(admin.call('getTag', [1.5]))).toMatchObject({ faultCode: 1019 });
    expect(await faultOf(admin.call('getTaskInfo', [new Float(NaN)]))).toMatchObject({ faultCode: 1019 });
    expect(await faultOf(admin.call('listBuilds', [], { createdBefore: 'not a date' }))).toMatchObject({ faultCode: 1019, message: expect.stringMatching(/^invalid value: /) });
    expect(await faultOf(admin.call('getPackageID', [{ name: 'x' }]))).toMatchObject({ faultCode: 1019, message: expect.stringContaining('a struct where a single value was expected') });
    expect(await faultOf(admin.call('getHost', [{ name: { nested: true } }]))).toMatchObject({ faultCode: 1019 });
    expect(await faultOf(admin.call('enableChannel', [{ a: 1 }]))).toMatchObject({ faultCode: 1019, message: "Invalid name or id value: {'a': 1}" });
    expect(await faultOf(admin.call('addHostToChannel', [{ a: 1 }, 'default']))).toMatchObject({ faultCode: 1019 });
  });

  it('decodes what Python sends for inf, -inf and nan, and refuses them where they make no sense', async () => {
    for (const v of ['inf', '-inf', 'nan', '1e999']) {
      const r = await post(hub.httpUrl!, call('echo', `<double>${v}</double>`));
      expect(r.status, v).toBe(200);
      expect(r.reply.ok, v).toBe(true);
    }
    expect((await post(hub.httpUrl!, call('echo', '<double>-inf</double>'))).reply).toEqual({ ok: true, value: [new Float(-Infinity)] });
    expect(await faultOf(admin.call('getTag', [new Float(Infinity)]))).toMatchObject({ faultCode: 1019 });
    expect(await faultOf(admin.call('editHost', ['proto-host'], { capacity: new Float(NaN) }))).toMatchObject({ faultCode: 1000, message: 'Invalid type for capacity: expected a number' });
  });

  it('answers odd XML-RPC with faults, never HTTP errors or fault 1', async () => {
    const odd: Array<[string, number, RegExp]> = [
      [call('echo', '<int>99999999999999999999</int>'), 1019, /<int> value out of range/],
      [call('echo', '<i8>12x</i8>'), 1019, /invalid <i8> value/],
      [call('echo', '<boolean>yes</boolean>'), 1019, /invalid <boolean> value/],
      [call('echo', '<double>0x10</double>'), 1019, /invalid <double> value/],
      [call('echo', '<string>a\u0001b</string>'), 1000, /^Invalid request: /],
      [call('echo', '<array><data><value>'.repeat(100) + '</value></data></array>'.repeat(100)), 1000, /nested too deeply/],
      ["<?xml version='1.0'?><methodCall><methodName></methodName><params/></methodCall>", 1000, /^Invalid method: $/],
      [call('echo', '<struct><member><value>1</value></member></struct>'), 1000, /struct member without <name>/],
    ];
    for (const [xml, code, re] of odd) {
      const r = await post(hub.httpUrl!, xml);
      expect(r.status, xml.slice(0, 120)).toBe(200);
      expect(r.reply, xml.slice(0, 120)).toMatchObject({ ok: false, faultCode: code, faultString: expect.stringMatching(re) });
    }
    // deep but within bounds: echoed back intact
    const deep = '<array><data><value>'.repeat(60) + '<int>1</int>' + '</value></data></array>'.repeat(60);
    expect((await post(hub.httpUrl!, call('echo', deep))).reply.ok).toBe(true);
    expect(await hub.anon().call('getAPIVersion')).toBe(1);
  });

  it('checks every id of a list before querying (a bad one used to end the hub process)', async () => {
    expect(await faultOf(admin.call('getTaskInfo', [[2 ** 40, 'x']]))).toMatchObject({ faultCode: 1019, message: expect.stringContaining("Invalid type for value 'x'") });
    expect(await faultOf(admin.call('getTaskInfo', [[1, 2 ** 40]]))).toMatchObject({ faultCode: 1019 });
    expect(await hub.anon().call('getAPIVersion')).toBe(1);
  });

  it('answers a request line it cannot parse with 400, not 500', async () => {
    const { port } = new URL(hub.httpUrl!);
    const reply = await new Promise<string>((resolve, reject) => {
      const s = connect(Number(port), '127.0.0.1', () => s.write('POST http://[::1/kojihub HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'));
      let out = '';
      s.on('data', (d: Buffer) => (out += d.toString()));
      s.on('close', () => resolve(out));
      s.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1.1 400 /);
    expect(reply).toContain('Invalid request: bad URL');
  });

  it('shows no server path in faults', async () => {
    const f = await faultOf(admin.call('importRPM', ['cli-import/none', 'x.rpm']));
    expect(f).toMatchObject({ faultCode: 1000, message: 'No such file: work/cli-import/none/x.rpm' });
    expect(f.message).not.toContain(hub.kojiDir);
  });
});
