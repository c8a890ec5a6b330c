/** (placeholder until the buildroot backend lands; the backend branch owns this file) */
export interface RootSpec {
  tag: string;
  repoId: number;
  repoUrl: string;
  arch: string;
  group: string;
  macros: Record<string, string>;
  workdir: string;
  resultdir: string;
}
export interface InstalledRpm { name: string; version: string; release: string; epoch: number | null; arch: string; payloadhash?: string; size?: number; buildtime?: number }
export interface Buildroot {
  readonly path: string;
  installedRpms(): Promise<InstalledRpm[]>;
  installBuildRequires(srpmPath: string): Promise<InstalledRpm[]>;
  rebuild(srpmPath: string): Promise<{ srpm: string | null; rpms: string[] }>;
  buildSRPM(specDir: string, sourcesDir: string): Promise<string>;
  kill(): Promise<void>;
  remove(): Promise<void>;
}
export interface BuildrootBackend { readonly name: string; create(spec: RootSpec, signal?: AbortSignal): Promise<Buildroot> }
