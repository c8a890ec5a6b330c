/**
 * Python's number syntax, where koji-ts must read numbers as Python does: int() (sign,
 * whitespace, `_` between digits) and float() (also `inf`, `-infinity`, `nan`, `1e999` → inf).
 * Used by the XML-RPC decoder (`<int>`, `<double>`) and the policy `compare` test.
 */
const DIGITS = String.raw`\d(?:_?\d)*`;

/** The text int() accepts (after stripping whitespace). */
export const PY_INT = new RegExp(`^[+-]?${DIGITS}$`);
const PY_FLOAT = new RegExp(`^[+-]?(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][+-]?${DIGITS})?$`);
const PY_FLOAT_SPECIAL = /^([+-]?)(inf|infinity|nan)$/i;

/** float(text), or null where Python raises ValueError. */
export function pyFloatValue(text: string): number | null {
  const t = text.trim();
  const special = PY_FLOAT_SPECIAL.exec(t);
  if (special) {
    if (special[2].toLowerCase() === 'nan') return NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  if (!PY_FLOAT.test(t)) return null;
  return Number(t.replace(/_/g, ''));
}
