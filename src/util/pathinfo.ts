/**
 * Koji's PathInfo: where things live under topdir (and, with topurl, where they are served).
 * Pure functions shared by the hub, the CLI and later the builder and kojira.
 */
export interface BuildPathInfo {
  name?: string;
  package_name?: string;
  version: string;
  release: string;
  volume_name?: string | null;
}

export interface RpmPathInfo {
  name: string;
  version: string;
  release: string;
  arch: string;
}

export class PathInfo {
  constructor(readonly topdir: string) {}

  volumedir(volume?: string | null): string {
    return !volume || volume === 'DEFAULT' ? this.topdir : `${this.topdir}/vol/${volume}`;
  }

  build(b: BuildPathInfo): string {
    return `${this.volumedir(b.volume_name)}/packages/${b.package_name ?? b.name}/${b.version}/${b.release}`;
  }

  /** relative to build() */
  rpm(r: RpmPathInfo): string {
    return `${r.arch}/${r.name}-${r.version}-${r.release}.${r.arch}.rpm`;
  }

  /** relative to build() */
  signed(r: RpmPathInfo, sigkey: string): string {
    return `data/signed/${sigkey}/${this.rpm(r)}`;
  }

  /** relative to build() */
  sighdr(r: RpmPathInfo, sigkey: string): string {
    return `data/sigcache/${sigkey}/${this.rpm(r)}.sig`;
  }

  buildLogs(b: BuildPathInfo): string {
    return `${this.build(b)}/data/logs`;
  }

  typedir(b: BuildPathInfo, btype: string): string {
    if (btype === 'maven') return `${this.build(b)}/maven`;
    if (btype === 'win') return `${this.build(b)}/win`;
    if (btype === 'image') return `${this.build(b)}/images`;
    return `${this.build(b)}/files/${btype}`;
  }

  /** `repoId` may also be `latest` (the link to the newest repo) */
  repo(repoId: number | string, tag: string): string {
    return `${this.topdir}/repos/${tag}/${repoId}`;
  }

  repocache(tag: string): string {
    return `${this.topdir}/repos/${tag}/cache`;
  }

  distrepo(repoId: number | string, tag: string, volume?: string | null): string {
    return `${this.volumedir(volume)}/repos-dist/${tag}/${repoId}`;
  }

  work(volume?: string | null): string {
    return `${this.volumedir(volume)}/work`;
  }

  taskrelpath(taskId: number): string {
    return `tasks/${taskId % 10000}/${taskId}`;
  }

  task(taskId: number, volume?: string | null): string {
    return `${this.work(volume)}/${this.taskrelpath(taskId)}`;
  }

  scratch(): string {
    return `${this.topdir}/scratch`;
  }
}
