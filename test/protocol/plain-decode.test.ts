/**
 * The fast tokenizer of plain XML-RPC documents (protocol/decode.ts) against saxes: whatever it
 * accepts it must read exactly as saxes does, and everything else it must leave to saxes.
 */
import { describe, expect, it } from 'vitest';
import { parseDocumentWith } from '../../src/protocol/decode.ts';
import { encodeCall, encodeResponse } from '../../src/protocol/encode.ts';
import { Binary, DateTime, Float, type XmlRpcValue } from '../../src/protocol/values.ts';

type Outcome = { ok: true; doc: unknown } | { ok: false; message: string };

function run(how: 'plain' | 'saxes', xml: string): Outcome {
  try {
    return { ok: true, doc: parseDocumentWith(how, xml) };
  } catch (e) {
    return { ok: false, message: `${(e as Error).constructor.name}: ${(e as Error).message}` };
  }
}

/** plain agrees with saxes, or steps aside; returns whether plain read the document itself */
function agrees(xml: string): boolean {
  const plain = run('plain', xml);
  const saxes = run('saxes', xml);
  if (!plain.ok && plain.message.startsWith('NotPlain')) return false;
  expect(plain, xml).toEqual(saxes);
  return plain.ok;
}

// a deterministic pseudo-random source
function rng(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

const STRINGS = ['', ' ', 'plain', 'a & b', '<tag>', '"quoted" \'single\'', ']]>', 'x\r\ny', 'tab\there', 'é ü ß', '日本語', 'emoji 😀', '\u0001', '&amp;', '  lead and trail  ', '\n'];

function randomValue(r: () => number, depth: number): XmlRpcValue {
  const k = Math.floor(r() * (depth > 3 ? 6 : 8));
  switch (k) {
    case 0: return Math.floor(r() * 2e9) - 1e9;
    case 1: return r() < 0.5;
    case 2: return STRINGS[Math.floor(r() * STRINGS.length)];
    case 3: return null;
    case 4: return new Float(Math.round(r() * 1e6) / 100);
    case 5: return new DateTime('20240101T12:00:00');
    case 6: return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default: {
      const o: Record<string, XmlRpcValue> = {};
      for (let i = 0; i < Math.floor(r() * 4); i++) o[STRINGS[Math.floor(r() * STRINGS.length)] + i] = randomValue(r, depth + 1);
      return o;
    }
  }
}

describe('plain XML-RPC tokenizer', () => {
  it('reads what our encoder writes exactly as saxes does', () => {
    const r = rng(42);
    let readByPlain = 0;
    for (let i = 0; i < 400; i++) {
      const params = Array.from({ length: 1 + Math.floor(r() * 3) }, () => randomValue(r, 0));
      if (agrees(encodeCall('m', params as never))) readByPlain++;
      agrees(encodeResponse(params[0]));
    }
    // most documents are plain: the fast path is taken
    expect(readByPlain).toBeGreaterThan(200);
  });

  it('agrees with saxes on odd and broken documents', () => {
    const call = (inner: string) => `<?xml version="1.0"?><methodCall><methodName>m</methodName><params><param>${inner}</param></params></methodCall>`;
    const docs = [
      call('<value><string>a &lt; b &#65; &#x42; &quot;&apos;&gt;&amp;</string></value>'),
      call('<value>untyped</value>'),
      call('<value><nil/></value><value><ex:nil /></value>'),
      call('<value><base64>aGVs\nbG8=</base64></value>'),
      call('<value><string>&foo;</string></value>'),
      call('<value><string>&#0;</string></value>'),
      call('<value><string>&#x110000;</string></value>'),
      call('<value><string>a & b</string></value>'),
      call('<value><string><![CDATA[x<y]]></string></value>'),
      call('<!-- c --><value><int>1</int></value>'),
      call('<value><int a="1">1</int></value>'),
      call('<value><int>1</i4></value>'),
      call('<value><int>x</int></value>'),
      call('<value><struct><member><value><int>1</int></value></member></struct></value>'),
      call('<value><bogus>1</bogus></value>'),
      call('<value><string>a</string><string>b</string></value>'),
      call('<value><array><data><value><int>1</int></value></data></array></value>'),
      call('<value><string>unclosed</value>'),
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><methodCall><methodName>&a;</methodName></methodCall>',
      '<methodCall><methodName>m</methodName></methodCall><methodCall/>',
      '<methodCall><methodName>m</methodName></methodCall>trailing',
      'leading<methodCall><methodName>m</methodName></methodCall>',
      '<?xml version="1.0" encoding="utf-8"?>\n<methodResponse><params><param><value><i8>9223372036854775807</i8></value></param></params></methodResponse>\n',
      "<?xml version='1.0'?>\r\n<methodCall><methodName>m</methodName><params/></methodCall>",
      '<?xml version="1.0" standalone="yes"?><methodCall><methodName>m</methodName></methodCall>',
      '<?xml-stylesheet href="x"?><methodCall><methodName>m</methodName></methodCall>',
      '<methodCall><methodName>m</methodName><params></params></methodCall >',
      '<methodCall><methodName>m</methodName><params>',
      '',
      '   ',
      '<a><b></a></b>',
      '<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>1</int></value></member></struct></value></fault></methodResponse>',
      call('<value><dateTime.iso8601>20240101T00:00:00</dateTime.iso8601></value><value><double>1.5e3</double></value><value><boolean>1</boolean></value>'),
      call(`${'<value><array><data>'.repeat(250)}${'</data></array></value>'.repeat(250)}`),
    ];
    for (const d of docs) agrees(d);
    expect(agrees(docs[0])).toBe(true);
  });

  it('binary values survive the fast path', () => {
    const xml = encodeCall('m', [new Binary(Buffer.from([0, 1, 2, 255]))]);
    expect(agrees(xml)).toBe(true);
  });
});
