import { describe, expect, it } from 'vitest';
import { BadValueError, decodeCall, decodeResponse, DecodeError } from '../../src/protocol/decode.ts';
import { encodeCall, encodeFault, encodeResponse, encodeValue } from '../../src/protocol/encode.ts';
import { Binary, Float } from '../../src/protocol/values.ts';

// produced by Koji's own marshaller (koji.xmlrpcplus.dumps) with allow_none
const PYTHON_CALL =
  "<?xml version='1.0'?>\n<methodCall>\n<methodName>foo</methodName>\n<params>\n<param>\n<value><struct>\n<member>\n<name>a</name>\n<value><int>1</int></value>\n</member>\n<member>\n<name>b</name>\n<value><array><data>\n<value><boolean>1</boolean></value>\n<value><nil/></value><value><double>2.5</double></value>\n<value><string>x&lt;&amp;&gt;y</string></value>\n</data></array></value>\n</member>\n<member>\n<name>big</name>\n<value><i8>1099511627776</i8></value>\n</member>\n<member>\n<name>f</name>\n<value><double>2.0</double></value>\n</member>\n</struct></value>\n</param>\n</params>\n</methodCall>\n";
const PYTHON_FAULT =
  "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n<value><int>1019</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>oops &lt;x&gt;</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n";

describe('XML-RPC decoding', () => {
  it('reads what Python xmlrpc.client writes, including i8, nil and escapes', () => {
    const c = decodeCall(PYTHON_CALL);
    expect(c.methodName).toBe('foo');
    expect(c.params).toEqual([{ a: 1, b: [true, null, 2.5, 'x<&>y'], big: 1099511627776, f: 2 }]);
  });

  it('reads faults', () => {
    expect(decodeResponse(PYTHON_FAULT)).toEqual({ ok: false, faultCode: 1019, faultString: 'oops <x>' });
  });

  it('treats an untyped value as a string and accepts ex:nil and i4', () => {
    const c = decodeCall('<methodCall><methodName>m</methodName><params><param><value>plain text</value></param><param><value><ex:nil/></value></param><param><value><i4>-7</i4></value></param></params></methodCall>');
    expect(c.params).toEqual(['plain text', null, -7]);
  });

  it('decodes base64 to bytes and keeps whitespace inside strings', () => {
    const c = decodeCall('<methodCall><methodName>m</methodName><params><param><value><base64>aGVs\nbG8=</base64></value></param><param><value><string>  a  b </string></value></param></params></methodCall>');
    expect((c.params[0] as Binary).data.toString()).toBe('hello');
    expect(c.params[1]).toBe('  a  b ');
  });

  it('refuses malformed, truncated and hostile documents with a reason', () => {
    const bad = [
      ['', /root element|no XML document/i],
      ['not xml at all', /./],
      ['<methodCall><methodName>m</methodName><params><param><value><int>1</int>', /./],
      ['<methodCall><methodName>m</methodName><params><param><value><int>x</int></value></param></params></methodCall>', /invalid <int>/],
      ['<methodCall><methodName>m</methodName><params><param><value><blob>1</blob></value></param></params></methodCall>', /unknown XML-RPC type <blob>/],
      ['<!DOCTYPE x [<!ENTITY a "aaaa">]><methodCall><methodName>&a;</methodName></methodCall>', /DOCTYPE|entity/i],
      ['<html><body/></html>', /unexpected root element <html>/],
      ['<methodCall><params/></methodCall>', /without <methodName>/],
      ['<methodCall><methodName>m</methodName><params><param><value><i8>99999999999999999999</i8></value></param></params></methodCall>', /out of range/],
    ] as const;
    for (const [xml, re] of bad) expect(() => decodeCall(xml), xml).toThrow(re);
    expect(() => decodeCall('<methodCall><methodName>m</methodName></methodCall>x')).toThrow(DecodeError);
  });

  const call1 = (value: string) => decodeCall(`<methodCall><methodName>m</methodName><params><param><value>${value}</value></param></params></methodCall>`).params[0];

  it('reads doubles as Python float() does: inf, -inf, nan, 1e999, underscores', () => {
    expect(call1('<double>inf</double>')).toBe(Infinity);
    expect(call1('<double>-inf</double>')).toBe(-Infinity);
    expect(call1('<double> +Infinity </double>')).toBe(Infinity);
    expect(call1('<double>nan</double>')).toBeNaN();
    expect(call1('<double>-NaN</double>')).toBeNaN();
    expect(call1('<double>1e999</double>')).toBe(Infinity);
    expect(call1('<double>1_000.5</double>')).toBe(1000.5);
    expect(call1('<double>.5</double>')).toBe(0.5);
    expect(call1('<double>5.</double>')).toBe(5);
    const resp = decodeResponse("<?xml version='1.0'?><methodResponse><params><param><value><double>inf</double></value></param></params></methodResponse>", { floats: true });
    expect(resp).toEqual({ ok: true, value: new Float(Infinity) });
    for (const bad of ['', '0x10', '1__0', 'infinite', '1e', '.', '1.2.3']) {
      expect(() => call1(`<double>${bad}</double>`), bad).toThrow(BadValueError);
    }
  });

  it('reads ints as Python int() does, up to 64 bits; bad values are BadValueErrors', () => {
    expect(call1('<int> 1_000 </int>')).toBe(1000);
    expect(call1('<int>+7</int>')).toBe(7);
    expect(call1('<int>9223372036854775807</int>')).toBe(9223372036854775807n);
    expect(call1('<i4>-9223372036854775808</i4>')).toBe(-9223372036854775808n);
    for (const bad of ['<int>9223372036854775808</int>', `<int>${'9'.repeat(5000)}</int>`, '<int>1.0</int>', '<int>_1</int>', '<boolean>2</boolean>', '<boolean>true</boolean>']) {
      expect(() => call1(bad), bad).toThrow(BadValueError);
    }
    // a bad value is not a malformed document
    expect(() => decodeCall('<methodCall><methodName>m</methodName>')).toThrow(DecodeError);
    expect(() => decodeCall('<methodCall><methodName>m</methodName>')).not.toThrow(BadValueError);
  });

  it('decodes structs as dictionaries without a prototype: __proto__ and constructor are keys', () => {
    const v = call1(
      '<struct><member><name>__proto__</name><value><struct><member><name>polluted</name><value><int>1</int></value></member></struct></value></member>' +
        '<member><name>constructor</name><value>c</value></member><member><name>toString</name><value><int>2</int></value></member></struct>',
    ) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBeNull();
    expect(Object.keys(v)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(v.polluted).toBeUndefined();
    expect(v.constructor).toBe('c');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('accepts an empty method name (the hub answers Invalid method)', () => {
    expect(decodeCall('<methodCall><methodName></methodName><params/></methodCall>')).toEqual({ methodName: '', params: [] });
  });

  it('refuses absurdly deep nesting instead of overflowing the stack', () => {
    const deep = '<value><array><data>'.repeat(300) + '</data></array></value>'.repeat(300);
    expect(() => decodeCall(`<methodCall><methodName>m</methodName><params><param>${deep}</param></params></methodCall>`)).toThrow(/too deeply/);
  });
});

describe('XML-RPC encoding', () => {
  it('round-trips values through our own parser', () => {
    const v = { s: 'a & b <c>', n: null, t: true, i: -5, big: 2 ** 40, d: 0.25, f: new Float(2), l: [1, 'x', [2]] };
    const back = decodeResponse(encodeResponse(v));
    expect(back).toEqual({ ok: true, value: { ...v, f: 2 } });
  });

  it('uses int within 32 bits, i8 beyond, double for Float and fractions', () => {
    expect(encodeValue(2147483647)).toBe('<value><int>2147483647</int></value>');
    expect(encodeValue(2147483648)).toBe('<value><i8>2147483648</i8></value>');
    expect(encodeValue(-2147483649)).toBe('<value><i8>-2147483649</i8></value>');
    expect(encodeValue(new Float(2))).toBe('<value><double>2.0</double></value>');
    expect(encodeValue(1.5)).toBe('<value><double>1.5</double></value>');
    expect(encodeValue(null)).toBe('<value><nil/></value>');
    // Python's marshaller writes repr(float): exponent form below 1e-4 and from 1e16
    expect(encodeValue(new Float(1e21))).toBe('<value><double>1e+21</double></value>');
    expect(encodeValue(new Float(1e16))).toBe('<value><double>1e+16</double></value>');
    expect(encodeValue(0.00001)).toBe('<value><double>1e-05</double></value>');
  });

  it('writes faults and calls that Python can read (same element structure)', () => {
    expect(decodeResponse(encodeFault(1002, 'x<y'))).toEqual({ ok: false, faultCode: 1002, faultString: 'x<y' });
    expect(decodeCall(encodeCall('login', ['u', 'p', { opts: null, __starstar: true }]))).toEqual({
      methodName: 'login',
      params: ['u', 'p', { opts: null, __starstar: true }],
    });
  });
});
