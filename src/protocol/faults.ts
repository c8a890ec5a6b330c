/**
 * Koji's error catalogue. Each class carries the fault code Koji's Python client maps back to
 * its own exception class (koji.convertFault), so codes must never change or be reused.
 * Every application error is returned as HTTP 200 + fault; clients retry non-fault failures.
 */
export class KojiError extends Error {
  static readonly faultCode: number = 1000;
  readonly faultCode: number;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.faultCode = (this.constructor as typeof KojiError).faultCode;
    this.name = this.constructor.name;
  }
}

// Koji calls its base class GenericError; clients print that name
Object.defineProperty(KojiError, 'name', { value: 'GenericError' });

function define(name: string, code: number, parent: typeof KojiError): typeof KojiError {
  const cls = class extends parent {
    static override readonly faultCode = code;
  };
  Object.defineProperty(cls, 'name', { value: name });
  return cls;
}

export const GenericError = KojiError;
export const LockError = define('LockError', 1001, KojiError);
export const AuthError = define('AuthError', 1002, KojiError);
export const TagError = define('TagError', 1003, KojiError);
export const ActionNotAllowed = define('ActionNotAllowed', 1004, KojiError);
export const BuildError = define('BuildError', 1005, KojiError);
export const AuthLockError = define('AuthLockError', 1006, AuthError);
export const AuthExpired = define('AuthExpired', 1007, AuthError);
export const SequenceError = define('SequenceError', 1008, AuthError);
export const RetryError = define('RetryError', 1009, AuthError);
export const PreBuildError = define('PreBuildError', 1010, BuildError);
export const PostBuildError = define('PostBuildError', 1011, BuildError);
export const BuildrootError = define('BuildrootError', 1012, BuildError);
export const FunctionDeprecated = define('FunctionDeprecated', 1013, KojiError);
export const ServerOffline = define('ServerOffline', 1014, KojiError);
export const LiveCDError = define('LiveCDError', 1015, KojiError);
export const PluginError = define('PluginError', 1016, KojiError);
export const CallbackError = define('CallbackError', 1017, PluginError);
export const ApplianceError = define('ApplianceError', 1018, KojiError);
export const ParameterError = define('ParameterError', 1019, KojiError);
export const ImportError = define('ImportError', 1020, KojiError);
export const ConfigurationError = define('ConfigurationError', 1021, KojiError);
export const LiveMediaError = define('LiveMediaError', 1022, KojiError);
export const GSSAPIAuthError = define('GSSAPIAuthError', 1023, AuthError);
export const NameValidationError = define('NameValidationError', 1024, KojiError);

/** Every class by code, the way a client maps a fault back to an exception. */
export const FAULT_CLASSES: ReadonlyMap<number, typeof KojiError> = new Map(
  [
    KojiError, LockError, AuthError, TagError, ActionNotAllowed, BuildError, AuthLockError,
    AuthExpired, SequenceError, RetryError, PreBuildError, PostBuildError, BuildrootError,
    FunctionDeprecated, ServerOffline, LiveCDError, PluginError, CallbackError, ApplianceError,
    ParameterError, ImportError, ConfigurationError, LiveMediaError, GSSAPIAuthError, NameValidationError,
  ].map((c) => [c.faultCode, c]),
);

/** A fault as received by a client: the class for its code when known, with the code kept. */
export class Fault extends Error {
  constructor(readonly faultCode: number, readonly faultString: string) {
    super(faultString);
    this.name = `Fault ${faultCode}`;
  }
}

export function faultToError(code: number, message: string): Error {
  const cls = FAULT_CLASSES.get(code);
  if (cls) {
    const err = new cls(message);
    return err;
  }
  return new Fault(code, message);
}
