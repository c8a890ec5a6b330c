/**
 * Option parsing and help in the style of Python's optparse, which the koji CLI uses:
 * `--opt=value` or `--opt value`, `-x value`, repeated options, `--` ends options, and
 * "usage: … / options:" help. Built on node's util.parseArgs (a maintained built-in) plus the
 * optparse conventions it lacks: typed values, append, counters, interspersed arguments.
 */
import { parseArgs } from 'node:util';
import { UsageError, type CommandResult, type OptionSpec, type Options } from './command.ts';

export function optionKey(o: OptionSpec): string {
  return o.dest ?? o.name.replace(/-/g, '_');
}

export function parseCommandArgs(specs: OptionSpec[], argv: string[]): { opts: Options; args: string[]; help: boolean } {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const o of specs) {
    const kind = o.type === 'bool' || o.type === 'count' ? 'boolean' : 'string';
    config[o.name] = { type: kind, multiple: o.type === 'append' || o.type === 'count' || kind === 'string' };
    if (o.short) config[o.name].short = o.short;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: config, allowPositionals: true, strict: true });
  } catch (e) {
    const msg = (e as Error).message.replace(/^Unknown option '(.*?)'.*$/s, 'no such option: $1').replace(/^Option '(.*?)' argument missing.*$/s, '$1 option requires an argument');
    throw new UsageError(msg);
  }
  const opts: Options = {};
  for (const o of specs) {
    const key = optionKey(o);
    const raw = (parsed.values as Record<string, unknown>)[o.name];
    if (raw === undefined) {
      if (!(key in opts)) opts[key] = o.default ?? (o.type === 'append' ? [] : o.type === 'count' ? 0 : o.type === 'bool' ? o.default ?? null : null);
      continue;
    }
    const flag = `--${o.name}`;
    switch (o.type) {
      case 'bool':
        opts[key] = o.value !== undefined ? o.value : true;
        break;
      case 'count':
        opts[key] = (raw as boolean[]).length;
        break;
      case 'append':
        opts[key] = raw as string[];
        break;
      case 'int': {
        const v = (raw as string[]).at(-1) as string;
        if (!/^[+-]?\d+$/.test(v)) throw new UsageError(`option ${flag}: invalid integer value: '${v}'`);
        opts[key] = Number(v);
        break;
      }
      case 'float': {
        const v = (raw as string[]).at(-1) as string;
        if (v.trim() === '' || Number.isNaN(Number(v))) throw new UsageError(`option ${flag}: invalid floating-point value: '${v}'`);
        opts[key] = Number(v);
        break;
      }
      default:
        opts[key] = (raw as string[]).at(-1);
    }
  }
  return { opts, args: parsed.positionals, help: Boolean((parsed.values as Record<string, unknown>).help) };
}

/** textwrap.wrap: words greedily filled to `width` columns. */
function wrap(text: string, width: number): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * optparse's IndentedHelpFormatter (width 78 = 80 columns − 2, max_help_position 24): the help
 * column sits 2 past the longest option text, at most at 24; longer option texts get their help
 * on the next line.
 */
/** optparse's error(): the usage, a blank line and "<prog>: error: <message>" on stderr, exit code 2. */
export function usageFailure(usage: string, prog: string, message: string, output = ''): CommandResult {
  return { output, error: `Usage: ${usage.replace(/^usage: /i, '')}\n\n${prog}: error: ${message}`, exitCode: 2 };
}

export function formatHelp(usage: string, specs: OptionSpec[], description?: string): string {
  const width = Math.max((Number(process.env.COLUMNS) || 80) - 2, 20);
  const out = [`Usage: ${usage.replace(/^usage: /i, '')}`, ''];
  if (description) out.push(...wrap(description, width), '');
  out.push('Options:');
  const rows: Array<[string, string]> = [['-h, --help', 'show this help message and exit']];
  for (const o of specs) {
    if (o.hidden) continue;
    const meta = o.metavar ?? optionKey(o).toUpperCase();
    const takes = !(o.type === 'bool' || o.type === 'count');
    const long = takes ? `--${o.name}=${meta}` : `--${o.name}`;
    const short = o.short ? `-${o.short}${takes ? ` ${meta}` : ''}` : '';
    rows.push([o.shortOnly ? short : o.short ? `${short}, ${long}` : long, o.help]);
  }
  const indent = 2;
  const maxLen = Math.max(...rows.map(([names]) => names.length + indent));
  const helpPos = Math.min(maxLen + 2, 24);
  const helpWidth = Math.max(width - helpPos, 11);
  const optWidth = helpPos - indent - 2;
  for (const [names, help] of rows) {
    const lines = help ? wrap(help, helpWidth) : [];
    if (names.length > optWidth) {
      out.push(' '.repeat(indent) + names);
      for (const l of lines) out.push(' '.repeat(helpPos) + l);
    } else {
      const head = ' '.repeat(indent) + names.padEnd(optWidth) + '  ';
      out.push(lines.length ? head + lines[0] : head.trimEnd());
      for (const l of lines.slice(1)) out.push(' '.repeat(helpPos) + l);
    }
  }
  return out.join('\n') + '\n';
}
