/** Koji's enumerations (koji/__init__.py), by name and by number. */
export class KojiEnum<N extends string> {
  readonly byName: Readonly<Record<N, number>>;
  readonly names: readonly N[];
  constructor(names: readonly N[]) {
    this.names = names;
    this.byName = Object.fromEntries(names.map((n, i) => [n, i])) as Record<N, number>;
  }
  /** Name to number; undefined when unknown. */
  get(name: string): number | undefined {
    return Object.hasOwn(this.byName, name) ? (this.byName as Record<string, number>)[name] : undefined;
  }
  /** Number to name; undefined when unknown. */
  name(value: number): N | undefined {
    return this.names[value];
  }
  /** Accept a number or a name and return the number, or undefined. */
  resolve(v: unknown): number | undefined {
    if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v < this.names.length ? v : undefined;
    if (typeof v === 'string') return this.get(v);
    return undefined;
  }
}

export const USERTYPES = new KojiEnum(['NORMAL', 'HOST', 'GROUP'] as const);
export const USER_STATUS = new KojiEnum(['NORMAL', 'BLOCKED'] as const);
export const AUTHTYPES = new KojiEnum(['NORMAL', 'KERBEROS', 'SSL', 'GSSAPI'] as const);
export const TASK_STATES = new KojiEnum(['FREE', 'OPEN', 'CLOSED', 'CANCELED', 'ASSIGNED', 'FAILED'] as const);
export const BUILD_STATES = new KojiEnum(['BUILDING', 'COMPLETE', 'DELETED', 'FAILED', 'CANCELED'] as const);
export const REPO_STATES = new KojiEnum(['INIT', 'READY', 'EXPIRED', 'DELETED', 'PROBLEM'] as const);
export const BR_STATES = new KojiEnum(['INIT', 'WAITING', 'BUILDING', 'EXPIRED'] as const);
export const BR_TYPES = new KojiEnum(['STANDARD', 'EXTERNAL'] as const);
export const CHECKSUM_TYPES = new KojiEnum(['md5', 'sha1', 'sha256'] as const);
export const TAG_UPDATE_TYPES = new KojiEnum(['VOLUME_CHANGE', 'IMPORT', 'MANUAL', 'DRAFT_PROMOTION'] as const);
export const DEP_TYPES = new KojiEnum(
  ['REQUIRE', 'PROVIDE', 'OBSOLETE', 'CONFLICT', 'SUGGEST', 'ENHANCE', 'SUPPLEMENT', 'RECOMMEND'] as const,
);
export const DEP_FLAGS = { LESS: 2, GREATER: 4, EQUAL: 8 } as const;
export const REPO_MERGE_MODES = ['koji', 'simple', 'bare'] as const;
export const PRIO_DEFAULT = 20;
export const BASEDIR = '/mnt/koji';
