/**
 * The client-certificate identity of an HTTPS connection, in the terms mod_ssl gives Koji:
 * SSL_CLIENT_VERIFY (SUCCESS or why not), SSL_CLIENT_S_DN in RFC 2253 order
 * (`CN=web,OU=kojiweb,O=Org,C=US`) and the individual components (SSL_CLIENT_S_DN_CN …).
 */
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';

export interface PeerIdentity {
  /** 'SUCCESS', 'NONE' (no certificate), or 'FAILED:<reason>' like mod_ssl */
  verify: string;
  /** subject DN, most specific component first */
  dn: string | null;
  /** subject components, e.g. { CN: 'kojiadmin', O: 'koji-ts' } (first value of each) */
  components: Record<string, string>;
}

/** RFC 2253 escaping of one attribute value. */
function escapeDnValue(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');
}

export function peerIdentity(socket: TLSSocket): PeerIdentity {
  const raw = socket.getPeerX509Certificate?.();
  if (!raw) return { verify: 'NONE', dn: null, components: {} };
  const verify = socket.authorized ? 'SUCCESS' : `FAILED:${String(socket.authorizationError ?? 'unknown error')}`;
  return { verify, ...subjectOf(raw) };
}

export function subjectOf(cert: X509Certificate): { dn: string; components: Record<string, string> } {
  // X509Certificate.subject lists one "KEY=value" per line in certificate order
  const parts = cert.subject.split('\n').filter(Boolean).map((line) => {
    const eq = line.indexOf('=');
    return [line.slice(0, eq), line.slice(eq + 1)] as const;
  });
  const components: Record<string, string> = {};
  for (const [k, v] of parts) if (!(k in components)) components[k] = v;
  const dn = parts
    .slice()
    .reverse()
    .map(([k, v]) => `${k}=${escapeDnValue(v)}`)
    .join(',');
  return { dn, components };
}
