/** misc commands: moshimoshi, version, list-api, call, help. */
import { AUTHTYPES } from '../../protocol/enums.ts';
import { KOJI_VERSION } from '../../protocol/version.ts';
import type { XmlRpcValue } from '../../protocol/values.ts';
import { UsageError, type Command } from '../command.ts';
import { pformat } from '../pyformat.ts';
import { pyStr } from '../../protocol/pyrepr.ts';
import { CATEGORIES, categoryLines, listCommands } from '../help.ts';
import { logLine } from '../log.ts';

export const GREETINGS = ['hello', 'hi', 'yo', "what's up", "g'day", 'back to work', 'bonjour', 'hallo', 'ciao', 'hola', 'olá', 'dobrý den', 'zdravstvuite', 'góðan daginn', 'hej', 'tervehdys', 'grüezi', 'céad míle fáilte', 'hylô', 'bună ziua', 'jó napot', 'dobre dan', '你好', 'こんにちは', 'नमस्कार', '안녕하세요'];

/** Python's int()/float() then True/False/None, else the string (koji's arg_filter). */
export function argFilter(arg: string): XmlRpcValue {
  const t = arg.trim();
  if (/^[+-]?\d+$/.test(t)) return Number(t);
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) || /^[+-]?(inf|infinity|nan)$/i.test(t)) return Number(t.replace(/inf(inity)?/i, 'Infinity'));
  const map: Record<string, XmlRpcValue> = { True: true, False: false, None: null };
  if (arg in map) return map[arg];
  return arg;
}

export const miscCommands: Command[] = [
  {
    name: 'moshimoshi',
    category: 'misc',
    summary: 'Introduce yourself',
    usage: 'moshimoshi [options]',
    async handler(ctx, _o, args) {
      if (args.length) throw new UsageError('This command takes no arguments');
      await ctx.activate();
      let u = await ctx.session.call<Record<string, XmlRpcValue> | null>('getLoggedInUser');
      const out: string[] = [];
      if (!u) {
        out.push('Not authenticated');
        u = { name: 'anonymous user' };
      }
      out.push(`${GREETINGS[Math.floor(Math.random() * GREETINGS.length)]}, ${String(u.name)}!`, '');
      out.push(`You are using the hub at ${ctx.session.baseurl.replace(/^http:/, ctx.session.baseurl.startsWith('https:') ? 'https:' : 'http:')} (Koji ${ctx.session.hubVersion ?? 'unknown'})`);
      const authtype = u.authtype;
      if (authtype === AUTHTYPES.byName.NORMAL) out.push('Authenticated via password');
      else if (authtype === AUTHTYPES.byName.GSSAPI) out.push('Authenticated via GSSAPI');
      else if (authtype === AUTHTYPES.byName.KERBEROS) out.push(`Authenticated via Kerberos principal ${String(u.krb_principal)}`);
      else if (authtype === AUTHTYPES.byName.SSL) out.push(`Authenticated via client certificate ${ctx.config.cert}`);
      return out.join('\n') + '\n';
    },
  },
  {
    name: 'version',
    category: 'misc',
    summary: 'Report client and hub versions',
    usage: 'version',
    anon: true,
    async handler(ctx) {
      const hub = await ctx.session.call<string>('getKojiVersion');
      return `Client: ${KOJI_VERSION}\nHub:    ${hub}\n`;
    },
  },
  {
    name: 'list-api',
    category: 'info',
    summary: 'Print the list of XML-RPC APIs',
    usage: 'list-api [options] [method_name ...]',
    anon: true,
    async handler(ctx, _o, args) {
      const out: string[] = [];
      if (args.length) {
        for (const m of args) {
          const help = await ctx.session.call<string>('system.methodHelp', [m]);
          if (!help) throw new UsageError(`Unknown method: ${m}`);
          out.push(help);
        }
      } else {
        const api = await ctx.session.call<Array<Record<string, XmlRpcValue>>>('_listapi');
        api.sort((a, b) => (String(a.name) < String(b.name) ? -1 : String(a.name) > String(b.name) ? 1 : 0));
        for (const x of api) {
          out.push(`${String(x.name)}${typeof x.argdesc === 'string' ? x.argdesc : '()'}`);
          if (x.doc) out.push(`  description: ${String(x.doc)}`);
        }
      }
      return out.join('\n') + '\n';
    },
  },
  {
    name: 'help',
    category: 'info',
    summary: 'List available commands',
    usage: 'help <category> ...',
    // the stock handler never logs in nor connects
    anon: true,
    local: true,
    options: [{ name: 'admin', type: 'bool', help: '', hidden: true }],
    async handler(_ctx, o, args, usage) {
      // the registry imports this module: load it when the command runs, not at import time
      const { COMMANDS } = await import('./index.ts');
      const prog = usage().replace(/^usage: /, '').split(' ')[0];
      const chosen = new Set(args);
      if (o.admin) chosen.add('admin');
      const out: string[] = [];
      for (const c of chosen) if (!(c in CATEGORIES) && c !== 'all') out.push(`No such help category: ${c}`);
      const sorted = [...chosen].sort();
      const unknown = chosen.has('all') ? undefined : sorted.find((c) => !(c in CATEGORIES));
      if (unknown === undefined) return out.join('\n') + (out.length ? '\n' : '') + listCommands(prog, COMMANDS, chosen);
      // as the stock CLI: the categories sorted before the unknown one are listed, then it dies on it
      out.push('Available commands:');
      for (const c of sorted.slice(0, sorted.indexOf(unknown))) out.push(...categoryLines(COMMANDS, c));
      return { output: out.join('\n') + '\n', error: logLine(`KeyError: ${pyStr(unknown)}`), exitCode: 1 };
    },
  },
  {
    name: 'call',
    // its docstring has no [category] tag, so the stock CLI lists it under misc
    category: 'misc',
    summary: 'Execute an arbitrary XML-RPC call',
    usage: 'call [options] <name> [<arg> ...]\n\n<arg> values of the form NAME=VALUE are treated as keyword arguments\nNote, that you can use global option --noauth for anonymous calls here',
    options: [
      { name: 'python', short: 'p', type: 'bool', help: 'Use python syntax for RPC parameter values' },
      { name: 'kwargs', type: 'string', help: 'Specify keyword arguments as a dictionary (implies --python or --json-input)' },
      { name: 'json', short: 'j', type: 'bool', help: 'Use JSON syntax for input and output' },
      { name: 'json-input', type: 'bool', help: 'Use JSON syntax for input' },
      { name: 'json-output', type: 'bool', help: 'Use JSON syntax for output' },
      { name: 'bare-strings', short: 'b', type: 'bool', help: 'Treat invalid json/python as bare strings' },
    ],
    async handler(ctx, o, args) {
      if (args.length < 1) throw new UsageError('Please specify the name of the XML-RPC method');
      const jsonIn = Boolean(o.json || o.json_input);
      const jsonOut = Boolean(o.json || o.json_output);
      if (o.python && jsonIn) throw new UsageError('The --python option conflicts with using --json-input');
      const python = Boolean(o.python || (o.kwargs && !jsonIn));
      const parse = (arg: string): XmlRpcValue => {
        try {
          if (python) return parsePythonLiteral(arg);
          if (jsonIn) return JSON.parse(arg) as XmlRpcValue;
          return argFilter(arg);
        } catch {
          if (o.bare_strings) return arg;
          throw new UsageError(`Invalid value: '${arg}'`);
        }
      };
      const kw: Record<string, XmlRpcValue> = o.kwargs ? (parse(String(o.kwargs)) as Record<string, XmlRpcValue>) : {};
      const positional: XmlRpcValue[] = [];
      for (const arg of args.slice(1)) {
        const m = /^([A-Za-z_]\w*)=(.*)$/s.exec(arg);
        if (m) kw[m[1]] = parse(m[2]);
        else positional.push(parse(arg));
      }
      await ctx.activate();
      const res = await ctx.session.callAny(args[0], positional, kw);
      return (jsonOut ? JSON.stringify(res, null, 2) : pformat(res)) + '\n';
    },
  },
];

/** A Python literal (as `koji call --python` takes): JSON plus True/False/None, single quotes, tuples. */
export function parsePythonLiteral(text: string): XmlRpcValue {
  let i = 0;
  const s = text.trim();
  const ws = () => {
    while (i < s.length && /\s/.test(s[i])) i++;
  };
  const value = (): XmlRpcValue => {
    ws();
    const c = s[i];
    if (c === '{') {
      i++;
      const obj: Record<string, XmlRpcValue> = {};
      ws();
      while (s[i] !== '}') {
        const k = value();
        ws();
        if (s[i++] !== ':') throw new Error('expected :');
        obj[String(k)] = value();
        ws();
        if (s[i] === ',') i++;
        ws();
      }
      i++;
      return obj;
    }
    if (c === '[' || c === '(') {
      const close = c === '[' ? ']' : ')';
      i++;
      const arr: XmlRpcValue[] = [];
      ws();
      while (s[i] !== close) {
        arr.push(value());
        ws();
        if (s[i] === ',') i++;
        ws();
        if (i >= s.length) throw new Error('unterminated');
      }
      i++;
      return arr;
    }
    if (c === "'" || c === '"') {
      i++;
      let out = '';
      while (i < s.length && s[i] !== c) {
        if (s[i] === '\\') {
          i++;
          const e = s[i];
          out += e === 'n' ? '\n' : e === 't' ? '\t' : e;
        } else out += s[i];
        i++;
      }
      if (s[i] !== c) throw new Error('unterminated string');
      i++;
      return out;
    }
    const m = /^(True|False|None|[+-]?\d+(\.\d*)?([eE][+-]?\d+)?)/.exec(s.slice(i));
    if (!m) throw new Error(`invalid literal at ${i}`);
    i += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return Number(m[0]);
  };
  const v = value();
  ws();
  if (i !== s.length) throw new Error('trailing characters');
  return v;
}
