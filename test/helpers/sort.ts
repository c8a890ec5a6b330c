/** Reference comparisons for tests of sorted hub results. */
import type { XmlRpcValue } from '../../src/protocol/values.ts';

/** Compare two result values: None (null) greatest or least, text by code point, else as numbers. */
export function compareValue(a: XmlRpcValue, b: XmlRpcValue, noneGreatest: boolean): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an && bn ? 0 : an === noneGreatest ? 1 : -1;
  if (typeof a === 'string' && typeof b === 'string') {
    const x = [...a].map((c) => c.codePointAt(0) as number);
    const y = [...b].map((c) => c.codePointAt(0) as number);
    for (let k = 0; k < Math.min(x.length, y.length); k++) if (x[k] !== y[k]) return x[k] - y[k];
    return x.length - y.length;
  }
  return Number(a) - Number(b);
}
