/**
 * XML-RPC parsing with a real, streaming XML parser (saxes). Accepts what Python's
 * xmlrpc.client and Koji send: `<nil/>` or `<ex:nil/>`, `<int>`/`<i4>`/`<i8>`, untyped
 * `<value>text</value>` as a string. Refuses DOCTYPE declarations (no entity tricks) and any
 * structure that is not a methodCall/methodResponse, with a message naming the problem.
 */
import { SaxesParser } from 'saxes';
import { Binary, DateTime, Float, newStruct, type XmlRpcValue } from './values.ts';
import { PY_INT, pyFloatValue } from './pynum.ts';

export class DecodeError extends Error {}

/**
 * A well-formed document carrying a value its type cannot hold (`<int>x</int>`, an `<i8>` beyond
 * 64 bits, `<boolean>2</boolean>`): the request was understood, so the hub answers with a fault
 * (ParameterError) instead of the transport-level 400 that clients retry.
 */
export class BadValueError extends DecodeError {}

export interface MethodCall {
  methodName: string;
  params: XmlRpcValue[];
}

export type MethodResponse =
  | { ok: true; value: XmlRpcValue }
  | { ok: false; faultCode: number; faultString: string };

type Frame =
  | { kind: 'value'; typed: boolean; result: XmlRpcValue; set: boolean }
  | { kind: 'array'; items: XmlRpcValue[] }
  | { kind: 'struct'; obj: Record<string, XmlRpcValue>; name: string | null }
  | { kind: 'scalar'; type: string }
  | { kind: 'other'; name: string };

const SCALARS = new Set(['int', 'i4', 'i8', 'boolean', 'string', 'double', 'base64', 'dateTime.iso8601', 'nil', 'ex:nil']);
const MAX_DEPTH = 200;

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** Python's int() on an `<int>`/`<i4>`/`<i8>` text (whitespace, sign, `_` between digits), within 64 bits. */
function pyInt(type: string, text: string): number | bigint {
  const t = text.trim();
  if (!PY_INT.test(t)) throw new BadValueError(`invalid <${type}> value: ${JSON.stringify(t.slice(0, 40))}`);
  const digits = t.replace(/_/g, '');
  const n = Number(digits);
  if (Number.isSafeInteger(n)) return n;
  const big = BigInt(digits);
  if (big > INT64_MAX || big < INT64_MIN) throw new BadValueError(`<${type}> value out of range (more than 64 bits): ${t.length > 40 ? t.slice(0, 40) + '…' : t}`);
  return big;
}

function convertScalar(type: string, text: string, floats: boolean): XmlRpcValue {
  switch (type) {
    case 'int':
    case 'i4':
    case 'i8':
      return pyInt(type, text);
    case 'boolean': {
      const t = text.trim();
      if (t === '1') return true;
      if (t === '0') return false;
      throw new BadValueError(`invalid <boolean> value: ${JSON.stringify(t)}`);
    }
    case 'double': {
      const n = pyFloatValue(text);
      if (n === null) throw new BadValueError(`invalid <double> value: ${JSON.stringify(text.trim().slice(0, 40))}`);
      return floats ? new Float(n) : n;
    }
    case 'string':
      return text;
    case 'base64':
      return new Binary(Buffer.from(text.replace(/\s+/g, ''), 'base64'));
    case 'dateTime.iso8601':
      return new DateTime(text.trim());
    case 'nil':
    case 'ex:nil':
      return null;
  }
  throw new DecodeError(`unknown type <${type}>`);
}

/**
 * Parse a whole XML-RPC document. Returns the root element name and the list of
 * top-level values found under params/param (or the fault value), plus methodName.
 */
function parseDocument(xml: string, floats = false): { root: string; methodName: string | null; values: XmlRpcValue[]; fault: boolean } {
  const parser = new SaxesParser({ xmlns: false, position: false });
  const stack: Frame[] = [];
  const path: string[] = [];
  const values: XmlRpcValue[] = [];
  let root = '';
  let methodName: string | null = null;
  let text = '';
  let fault = false;
  let error: Error | null = null;

  const deliver = (v: XmlRpcValue): void => {
    const parent = stack[stack.length - 1];
    if (!parent) {
      values.push(v);
      return;
    }
    if (parent.kind === 'array') parent.items.push(v);
    else if (parent.kind === 'struct') {
      if (parent.name === null) throw new DecodeError('struct member without <name>');
      parent.obj[parent.name] = v;
      parent.name = null;
    } else throw new DecodeError(`unexpected <value> inside <${parent.kind}>`);
  };

  parser.on('error', (e) => {
    error ??= new DecodeError(e.message);
  });
  parser.on('doctype', () => {
    error ??= new DecodeError('DOCTYPE is not allowed in XML-RPC');
  });
  parser.on('opentag', (tag) => {
    if (error) return;
    const name = tag.name;
    path.push(name);
    if (path.length > MAX_DEPTH) throw new DecodeError('XML nested too deeply');
    if (path.length === 1) {
      root = name;
      if (name !== 'methodCall' && name !== 'methodResponse') throw new DecodeError(`unexpected root element <${name}>`);
      return;
    }
    const top = stack[stack.length - 1];
    if (name === 'value') {
      if (top && top.kind === 'value') throw new DecodeError('<value> directly inside <value>');
      stack.push({ kind: 'value', typed: false, result: undefined, set: false });
      text = '';
      return;
    }
    if (top && top.kind === 'value') {
      if (top.typed) throw new DecodeError(`more than one type inside <value>`);
      top.typed = true;
      if (name === 'array') stack.push({ kind: 'array', items: [] });
      else if (name === 'struct') stack.push({ kind: 'struct', obj: newStruct(), name: null });
      else if (SCALARS.has(name)) stack.push({ kind: 'scalar', type: name });
      else throw new DecodeError(`unknown XML-RPC type <${name}>`);
      text = '';
      return;
    }
    if (top && top.kind === 'scalar') throw new DecodeError(`element <${name}> inside <${top.type}>`);
    if (top && top.kind === 'array') {
      if (name !== 'data') throw new DecodeError(`unexpected <${name}> inside <array>`);
      return;
    }
    if (top && top.kind === 'struct') {
      if (name !== 'member' && name !== 'name') throw new DecodeError(`unexpected <${name}> inside <struct>`);
      text = '';
      return;
    }
    // envelope elements
    const allowed = root === 'methodCall' ? ['methodName', 'params', 'param'] : ['params', 'param', 'fault'];
    if (!allowed.includes(name)) throw new DecodeError(`unexpected <${name}> in <${root}>`);
    if (name === 'fault') fault = true;
    text = '';
  });
  parser.on('text', (t) => {
    text += t;
  });
  parser.on('cdata', (t) => {
    text += t;
  });
  parser.on('closetag', (tag) => {
    if (error) return;
    const name = tag.name;
    path.pop();
    const top = stack[stack.length - 1];
    if (name === 'methodName' && !top) {
      methodName = text.trim();
      return;
    }
    if (!top) return;
    switch (top.kind) {
      case 'scalar':
        stack.pop();
        {
          const v = stack[stack.length - 1] as Extract<Frame, { kind: 'value' }>;
          v.result = convertScalar(top.type, text, floats);
          v.set = true;
        }
        return;
      case 'array':
        if (name === 'array') {
          stack.pop();
          const v = stack[stack.length - 1] as Extract<Frame, { kind: 'value' }>;
          v.result = top.items;
          v.set = true;
        }
        return;
      case 'struct':
        if (name === 'name') top.name = text;
        else if (name === 'member') {
          if (top.name !== null) throw new DecodeError(`struct member ${JSON.stringify(top.name)} without <value>`);
        } else if (name === 'struct') {
          stack.pop();
          const v = stack[stack.length - 1] as Extract<Frame, { kind: 'value' }>;
          // a dictionary without a prototype: `__proto__`, `constructor` … are ordinary keys
          v.result = top.obj;
          v.set = true;
        }
        return;
      case 'value':
        if (name === 'value') {
          stack.pop();
          deliver(top.set ? top.result : top.typed ? null : text);
        }
        return;
      default:
        return;
    }
  });
  try {
    parser.write(xml).close();
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError((e as Error).message);
  }
  if (error) throw error;
  if (!root) throw new DecodeError('no XML document');
  return { root, methodName, values, fault };
}

export function decodeCall(xml: string): MethodCall {
  const doc = parseDocument(xml);
  if (doc.root !== 'methodCall') throw new DecodeError(`expected <methodCall>, got <${doc.root}>`);
  // an empty name is a call like any other (fault 1000 `Invalid method: `)
  if (doc.methodName === null) throw new DecodeError('methodCall without <methodName>');
  return { methodName: doc.methodName, params: doc.values };
}

/**
 * Parse a methodResponse. With `floats`, `<double>` values come back as {@link Float} so that a
 * client can tell 2.0 from 2 when it prints them (Python does).
 */
export function decodeResponse(xml: string, o: { floats?: boolean } = {}): MethodResponse {
  const doc = parseDocument(xml, o.floats ?? false);
  if (doc.root !== 'methodResponse') throw new DecodeError(`expected <methodResponse>, got <${doc.root}>`);
  if (doc.fault) {
    const f = doc.values[0] as Record<string, XmlRpcValue> | undefined;
    if (!f || typeof f !== 'object' || typeof f.faultCode !== 'number') throw new DecodeError('malformed fault');
    return { ok: false, faultCode: f.faultCode, faultString: String(f.faultString ?? '') };
  }
  if (doc.values.length !== 1) throw new DecodeError(`methodResponse must have exactly one param, got ${doc.values.length}`);
  return { ok: true, value: doc.values[0] };
}
