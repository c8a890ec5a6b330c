/**
 * Database errors that reach the dispatcher, as Koji faults a client can act on. Handlers check
 * what Koji checks and answer with Koji's own faults; writers run one at a time (see
 * db/serial.ts), so these are a safety net: no constraint violation or cast error may reach a
 * client as fault 1 with SQL in its text.
 */
import { GenericError, KojiError, ParameterError } from '../protocol/faults.ts';

interface PgError {
  code: string;
  table?: string;
  column?: string;
  constraint?: string;
  detail?: string;
}

function isPgError(e: unknown): e is PgError & Error {
  const code = e instanceof Error ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/** "Key (name)=(foo) already exists." → "name 'foo'" */
function keyOf(detail: string | undefined): string | null {
  const m = /^Key \((.+?)\)=\((.*)\)/.exec(detail ?? '');
  if (!m) return null;
  return `${m[1].replace(/, /g, '/')} ${JSON.stringify(m[2].length > 80 ? m[2].slice(0, 80) + '…' : m[2])}`;
}

/** The fault for a database error, or null when it is not one (then it is a bug: fault 1). */
export function databaseFault(e: unknown): KojiError | null {
  if (!isPgError(e)) return null;
  const what = (e.table ?? 'row').replace(/_/g, ' ');
  const key = keyOf(e.detail);
  switch (e.code) {
    case '23505': // unique_violation
      return new GenericError(`${what}${key ? ` with ${key}` : ''} already exists (a concurrent change may have created it); check and retry`);
    case '23503': // foreign_key_violation
      return new GenericError(
        /is still referenced/.test(e.detail ?? '') ? `${what}${key ? ` with ${key}` : ''} is still in use and cannot be removed` : `${what} refers to something that does not exist${key ? ` (${key})` : ''}`,
      );
    case '23502': // not_null_violation
      return new ParameterError(`a value for ${e.column ?? 'a required field'} of ${what} is required`);
    case '23514': // check_violation
    case '23P01': // exclusion_violation
      return new ParameterError(`invalid value for ${what}${e.constraint ? ` (rule ${e.constraint})` : ''}`);
    case '22001': // string_data_right_truncation
      return new ParameterError(`a value is too long for ${e.column ? `${e.column} of ` : ''}${what}`);
    case '22003': // numeric_value_out_of_range
      return new ParameterError('a number is out of range (ids and counts must fit in 32 bits, sizes in 64 bits)');
    case '22P02': // invalid_text_representation
    case '22007': // invalid_datetime_format
    case '22008': // datetime_field_overflow
    case '22009': // invalid_time_zone_displacement_value (a timestamp far out of range)
    case '22021': // character_not_in_repertoire
    case '22025': // invalid_escape_sequence (LIKE patterns)
    case '2201B': // invalid_regular_expression
    case '22P05': // untranslatable_character
    case '22023': // invalid_parameter_value (also src/db's refusal of a struct as a parameter)
      return new ParameterError(`invalid value: ${e.message.replace(/\s+/g, ' ').slice(0, 200)}`);
    case '40001': // serialization_failure
    case '40P01': // deadlock_detected
    case '55P03': // lock_not_available
      return new GenericError('the change collided with a concurrent one and was rolled back; retry');
    case '57014': // query_canceled (statement_timeout)
      return new GenericError('the query took too long and was canceled');
    default:
      return null;
  }
}
