/**
 * Shell-style glob matching with the semantics of Python's fnmatch.fnmatch on Linux (where it
 * is case-sensitive, i.e. fnmatchcase), which Koji uses for policy patterns and the CLI uses for `--match`:
 *
 *   `*`       any run of characters, including `/` and newlines
 *   `?`       exactly one character
 *   `[seq]`   one character in seq; `a-z` ranges; `]` first is literal; `-` first/last is literal
 *   `[!seq]`  one character not in seq
 *   an unclosed `[` is a literal `[`; there is no escaping (a backslash is an ordinary character)
 *
 * Python's bracket quirks are kept: a hyphen right after a range end is literal (`[a-c-e]` is
 * a..c, `-` and `e`), reversed ranges are dropped (`[z-a]` never matches, `[!z-a]` matches any
 * character). Characters are compared as Unicode code points. Patterns are compiled once and
 * cached.
 */

type Token =
  | { kind: 'star' }
  | { kind: 'any' }
  | { kind: 'char'; cp: number }
  | { kind: 'set'; negate: boolean; chars: Set<number>; ranges: Array<[number, number]> };

const DASH = 0x2d; // -
const BANG = 0x21; // !
const OPEN = 0x5b; // [
const CLOSE = 0x5d; // ]
const STAR = 0x2a; // *
const QMARK = 0x3f; // ?

function codePoints(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) out.push(ch.codePointAt(0) as number);
  return out;
}

/**
 * Turn the inside of a bracket expression (without the brackets, `!` already removed) into
 * literal characters and ranges. Without any hyphen every character is literal.
 */
function bracketSet(body: number[], negate: boolean): Token {
  const chars = new Set<number>();
  const ranges: Array<[number, number]> = [];
  if (!body.includes(DASH)) {
    for (const c of body) chars.add(c);
    return { kind: 'set', negate, chars, ranges };
  }
  // Split at range hyphens. The first character can never start a range hyphen search, and
  // after a range `x-y` the search resumes past `y`, so `[a-c-e]` splits as `a` | `c-e`.
  const chunks: number[][] = [];
  let start = 0;
  let from = 1;
  for (;;) {
    const k = body.indexOf(DASH, from);
    if (k < 0) break;
    chunks.push(body.slice(start, k));
    start = k + 1;
    from = k + 3;
  }
  const tail = body.slice(start);
  if (tail.length) chunks.push(tail);
  else chunks[chunks.length - 1].push(DASH); // trailing hyphen is literal
  // A reversed range (x-y with x > y) matches nothing: drop both of its ends.
  for (let k = chunks.length - 1; k > 0; k--) {
    const prev = chunks[k - 1];
    const cur = chunks[k];
    if (prev[prev.length - 1] > cur[0]) {
      chunks[k - 1] = [...prev.slice(0, -1), ...cur.slice(1)];
      chunks.splice(k, 1);
    }
  }
  // Consecutive chunks are joined by a range from the last char of one to the first of the next.
  for (let c = 0; c < chunks.length; c++) {
    const chunk = chunks[c];
    const first = c > 0 ? 1 : 0;
    const last = c < chunks.length - 1 ? chunk.length - 1 : chunk.length;
    for (let i = first; i < last; i++) chars.add(chunk[i]);
    if (c < chunks.length - 1) ranges.push([chunk[chunk.length - 1], chunks[c + 1][0]]);
  }
  return { kind: 'set', negate, chars, ranges };
}

function compile(pattern: string): Token[] {
  const p = codePoints(pattern);
  const tokens: Token[] = [];
  let i = 0;
  while (i < p.length) {
    const c = p[i++];
    if (c === STAR) {
      if (tokens.length === 0 || tokens[tokens.length - 1].kind !== 'star') tokens.push({ kind: 'star' });
    } else if (c === QMARK) {
      tokens.push({ kind: 'any' });
    } else if (c === OPEN) {
      // find the closing bracket: a `]` right after `[` or `[!` is part of the set
      let j = i;
      if (j < p.length && p[j] === BANG) j++;
      if (j < p.length && p[j] === CLOSE) j++;
      while (j < p.length && p[j] !== CLOSE) j++;
      if (j >= p.length) {
        tokens.push({ kind: 'char', cp: OPEN });
        continue;
      }
      const content = p.slice(i, j);
      i = j + 1;
      const negate = content[0] === BANG;
      tokens.push(bracketSet(negate ? content.slice(1) : content, negate));
    } else {
      tokens.push({ kind: 'char', cp: c });
    }
  }
  return tokens;
}

function matchOne(t: Token, cp: number): boolean {
  switch (t.kind) {
    case 'any':
      return true;
    case 'char':
      return t.cp === cp;
    case 'set': {
      let hit = t.chars.has(cp);
      if (!hit) for (const [lo, hi] of t.ranges) if (cp >= lo && cp <= hi) { hit = true; break; }
      return hit !== t.negate;
    }
    default:
      return false;
  }
}

const CACHE_LIMIT = 1024;
const cache = new Map<string, Token[]>();

function compiled(pattern: string): Token[] {
  let tokens = cache.get(pattern);
  if (!tokens) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    tokens = compile(pattern);
    cache.set(pattern, tokens);
  }
  return tokens;
}

/** fnmatch.fnmatch(name, pattern) as on Linux: the whole name must match, case-sensitively. */
export function fnmatch(name: string, pattern: string): boolean {
  const toks = compiled(pattern);
  const s = codePoints(name);
  let p = 0;
  let i = 0;
  let starP = -1;
  let starI = 0;
  // Single-character tokens only, so backtracking to the most recent star is sufficient.
  while (i < s.length) {
    const t = toks[p];
    if (p < toks.length && t.kind !== 'star' && matchOne(t, s[i])) {
      p++;
      i++;
    } else if (p < toks.length && t.kind === 'star') {
      starP = p++;
      starI = i;
    } else if (starP >= 0) {
      p = starP + 1;
      i = ++starI;
    } else {
      return false;
    }
  }
  while (p < toks.length && toks[p].kind === 'star') p++;
  return p === toks.length;
}

/** koji.util.multi_fnmatch: true when name matches any of the patterns. */
export function multiFnmatch(name: string, patterns: readonly string[]): boolean {
  return patterns.some((pat) => fnmatch(name, pat));
}
