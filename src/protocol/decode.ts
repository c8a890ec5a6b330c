/**
 * XML-RPC parsing with a real, streaming XML parser (saxes). Accepts what Python's
 * xmlrpc.client and Koji send: `<nil/>` or `<ex:nil/>`, `<int>`/`<i4>`/`<i8>`, untyped
 * `<value>text</value>` as a string. Refuses DOCTYPE declarations (no entity tricks) and any
 * structure that is not a methodCall/methodResponse, with a message naming the problem.
 *
 * Documents in the plain form XML-RPC clients write (a declaration, elements without
 * attributes, text with the five named and numeric character references) go through a small
 * tokenizer that feeds the same handlers several times faster; anything else — comments, CDATA,
 * attributes, carriage returns, characters it does not vouch for, any error — is parsed again
 * from the start by saxes, whose verdict and messages stand.
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

interface Parsed {
  root: string;
  methodName: string | null;
  values: XmlRpcValue[];
  fault: boolean;
}

interface Handlers {
  open(name: string): void;
  text(t: string): void;
  close(name: string): void;
  /** after the whole document was read */
  end(): Parsed;
}

/** The XML-RPC meaning of the element and text events of a document. */
function handlers(floats: boolean): Handlers {
  const stack: Frame[] = [];
  const path: string[] = [];
  const values: XmlRpcValue[] = [];
  let root = '';
  let methodName: string | null = null;
  let text = '';
  let fault = false;

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

  const open = (name: string): void => {
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
  };
  const close = (name: string): void => {
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
  };
  return {
    open,
    close,
    text(t) {
      text += t;
    },
    end() {
      if (!root) throw new DecodeError('no XML document');
      return { root, methodName, values, fault };
    },
  };
}

function parseWithSaxes(xml: string, floats: boolean): Parsed {
  const h = handlers(floats);
  const parser = new SaxesParser({ xmlns: false, position: false });
  let error: Error | null = null;
  parser.on('error', (e) => {
    error ??= new DecodeError(e.message);
  });
  parser.on('doctype', () => {
    error ??= new DecodeError('DOCTYPE is not allowed in XML-RPC');
  });
  parser.on('opentag', (tag) => {
    if (!error) h.open(tag.name);
  });
  parser.on('text', (t) => h.text(t));
  parser.on('cdata', (t) => h.text(t));
  parser.on('closetag', (tag) => {
    if (!error) h.close(tag.name);
  });
  try {
    parser.write(xml).close();
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError((e as Error).message);
  }
  if (error) throw error;
  return h.end();
}

/** Thrown by the tokenizer for anything outside the plain form: saxes takes the document. */
class NotPlain extends Error {}

const DECLARATION = /^\s*<\?xml\s+version\s*=\s*(["'])1\.\d\1(?:\s+encoding\s*=\s*(["'])[A-Za-z][A-Za-z0-9._-]*\2)?\s*\?>/y;
/** characters the tokenizer leaves to saxes: controls, CR (line-end normalisation), surrogates, U+FFFE/F, "]]>" */
const UNPLAIN = /[\x00-\x08\x0b-\x0d\x0e-\x1f\ud800-\udfff\ufffe\uffff]|\]\]>/;
const REFERENCE = /&(?:(lt|gt|amp|quot|apos)|#(\d{1,7})|#x([0-9A-Fa-f]{1,6}));/g;
const LONE_AMPERSAND = /&(?!(?:lt|gt|amp|quot|apos|#\d{1,7}|#x[0-9A-Fa-f]{1,6});)/;
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function plainText(t: string): string {
  if (UNPLAIN.test(t)) throw new NotPlain();
  if (!t.includes('&')) return t;
  if (LONE_AMPERSAND.test(t)) throw new NotPlain();
  return t.replace(REFERENCE, (_m, named: string | undefined, dec: string | undefined, hex: string | undefined) => {
    if (named) return NAMED[named];
    const cp = dec !== undefined ? Number(dec) : parseInt(hex as string, 16);
    // references to characters XML does not allow are saxes' to refuse
    if (cp < 0x20 ? cp !== 0x9 && cp !== 0xa && cp !== 0xd : (cp >= 0xd800 && cp <= 0xdfff) || cp === 0xfffe || cp === 0xffff || cp > 0x10ffff) throw new NotPlain();
    return String.fromCodePoint(cp);
  });
}

const isNameStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
const isNameChar = (c: number) => isNameStart(c) || (c >= 48 && c <= 58) || c === 45 || c === 46;
const isSpace = (c: number) => c === 32 || c === 10 || c === 9;

function parsePlain(xml: string, floats: boolean): Parsed {
  const h = handlers(floats);
  const open: string[] = [];
  let seenRoot = false;
  DECLARATION.lastIndex = 0;
  let i = DECLARATION.test(xml) ? DECLARATION.lastIndex : 0;
  const n = xml.length;
  while (i < n) {
    const lt = xml.indexOf('<', i);
    const end = lt === -1 ? n : lt;
    if (end > i) {
      const t = xml.slice(i, end);
      if (open.length === 0) {
        if (t.trim() !== '') throw new NotPlain();
      } else h.text(plainText(t));
    }
    if (lt === -1) break;
    // <name>, <name/>, </name>, with optional spaces before the end
    let j = lt + 1;
    const closing = xml.charCodeAt(j) === 47; // '/'
    if (closing) j++;
    const start = j;
    if (!isNameStart(xml.charCodeAt(j))) throw new NotPlain();
    while (isNameChar(xml.charCodeAt(j))) j++;
    const name = xml.slice(start, j);
    while (isSpace(xml.charCodeAt(j))) j++;
    const selfClosing = !closing && xml.charCodeAt(j) === 47;
    if (selfClosing) j++;
    if (xml.charCodeAt(j) !== 62) throw new NotPlain(); // '>'
    i = j + 1;
    if (closing) {
      if (open.pop() !== name) throw new NotPlain();
      h.close(name);
    } else {
      if (open.length === 0 && seenRoot) throw new NotPlain();
      seenRoot = true;
      open.push(name);
      h.open(name);
      if (selfClosing) {
        open.pop();
        h.close(name);
      }
    }
  }
  if (open.length > 0 || !seenRoot) throw new NotPlain();
  return h.end();
}

/**
 * Parse a whole XML-RPC document: the root element name and the list of top-level values found
 * under params/param (or the fault value), plus methodName.
 */
function parseDocument(xml: string, floats = false): Parsed {
  try {
    return parsePlain(xml, floats);
  } catch {
    // not plain, or wrong: saxes reads it again and says what is wrong
    return parseWithSaxes(xml, floats);
  }
}

/** For tests: one tokenizer alone (`plain` throws NotPlain where it leaves a document to saxes). */
export function parseDocumentWith(how: 'plain' | 'saxes', xml: string): Parsed {
  return how === 'plain' ? parsePlain(xml, true) : parseWithSaxes(xml, true);
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
