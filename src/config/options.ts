/**
 * Declarative option tables: every config key of every program has a name (as Koji spells it),
 * a type, a default and help text in one place. `readOptions` turns an INI section plus
 * environment overrides into a validated, typed object; unknown keys warn, bad values fail
 * naming the key and the file:line.
 */
import { z } from 'zod';
import { parseBool, type IniSection } from './ini.ts';

export type OptionType = 'string' | 'integer' | 'float' | 'boolean' | 'path';

export interface OptionDef<T = unknown, N extends string = string> {
  name: N;
  type: OptionType;
  default: T;
  help: string;
  /** extra validation after type conversion */
  check?: z.ZodType;
}

export class ConfigError extends Error {}

export function opt<const N extends string, T>(name: N, type: OptionType, dflt: T, help: string, check?: z.ZodType): OptionDef<T, N> {
  return { name, type, default: dflt, help, check };
}

type Values<D extends readonly OptionDef[]> = { -readonly [K in D[number] as K['name']]: K['default'] };

function convert(def: OptionDef, raw: string, where: string): unknown {
  switch (def.type) {
    case 'string':
    case 'path':
      return raw;
    case 'integer': {
      if (!/^[+-]?\d+$/.test(raw.trim())) throw new ConfigError(`${where}: ${def.name} must be an integer, got ${JSON.stringify(raw)}`);
      return Number(raw.trim());
    }
    case 'float': {
      const n = Number(raw.trim());
      if (raw.trim() === '' || Number.isNaN(n)) throw new ConfigError(`${where}: ${def.name} must be a number, got ${JSON.stringify(raw)}`);
      return n;
    }
    case 'boolean': {
      const b = parseBool(raw);
      if (b === undefined) throw new ConfigError(`${where}: ${def.name} must be a boolean (yes/no, true/false, on/off, 1/0), got ${JSON.stringify(raw)}`);
      return b;
    }
  }
}

export interface ReadOptions {
  /** environment variables, e.g. process.env */
  env?: Record<string, string | undefined>;
  /** prefix for environment overrides; `KOJITS_HUB_` + upper-cased key */
  envPrefix?: string;
  warn?: (msg: string) => void;
  /** keys accepted silently although not in the table (e.g. Koji keys we do not use) */
  ignore?: readonly string[];
  /** values that win over the file, already typed (command-line flags) */
  overrides?: Record<string, unknown>;
}

export function readOptions<const D extends readonly OptionDef[]>(defs: D, section: IniSection | undefined, sectionLabel: string, o: ReadOptions = {}): Values<D> {
  const out: Record<string, unknown> = {};
  // where each value came from, for messages
  const source = new Map<string, string>();
  const byLower = new Map(defs.map((d) => [d.name.toLowerCase(), d]));
  const ignore = new Set((o.ignore ?? []).map((k) => k.toLowerCase()));
  for (const d of defs) out[d.name] = d.default;
  if (section) {
    for (const [key, raw] of section.values) {
      const def = byLower.get(key);
      const where = section.where.get(key) ?? sectionLabel;
      if (!def) {
        if (!ignore.has(key)) o.warn?.(`${where}: unknown option ${section.spelled.get(key) ?? key} in [${sectionLabel}] (ignored)`);
        continue;
      }
      out[def.name] = convert(def, raw, where);
      source.set(def.name, where);
    }
  }
  if (o.env && o.envPrefix) {
    for (const d of defs) {
      const v = o.env[o.envPrefix + d.name.toUpperCase()];
      if (v === undefined) continue;
      const where = `environment ${o.envPrefix + d.name.toUpperCase()}`;
      out[d.name] = convert(d, v, where);
      source.set(d.name, where);
    }
  }
  for (const [k, v] of Object.entries(o.overrides ?? {})) {
    if (v === undefined) continue;
    out[k] = v;
    source.set(k, 'command line');
  }
  for (const d of defs) {
    if (d.check && out[d.name] !== null && out[d.name] !== undefined) {
      const r = d.check.safeParse(out[d.name]);
      if (!r.success) throw new ConfigError(`${source.get(d.name) ?? sectionLabel}: bad value for ${d.name}: ${r.error.issues.map((i) => i.message).join('; ')}`);
    }
  }
  return out as Values<D>;
}
