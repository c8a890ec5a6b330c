/**
 * A small private CA for koji-ts: RSA keys from Node's crypto (fast, native), X.509
 * certificates and PKCS#12 bundles built with node-forge, signatures made by Node's crypto.
 * Certificates carry what strict verifiers (OpenSSL, Python's ssl, browsers) expect: CA
 * basicConstraints/keyUsage marked critical, subject and authority key identifiers, and
 * subjectAltName on server certificates.
 */
import { generateKeyPair, randomBytes, randomInt, sign, X509Certificate, createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import forge from 'node-forge';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface KeyPair {
  /** PKCS#8 PEM */
  keyPem: string;
  /** SubjectPublicKeyInfo PEM */
  publicPem: string;
}

export interface CertAndKey {
  certPem: string;
  keyPem: string;
}

/** Subject in certificate order: O, OU, CN. */
export interface Subject {
  O: string;
  OU: string;
  CN: string;
}

export type AltName = { dns: string } | { ip: string };

const DAY_MS = 86_400_000;

export async function generateRsaKey(bits = 2048): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { keyPem: privateKey, publicPem: publicKey };
}

function subjectAttrs(s: Subject): forge.pki.CertificateField[] {
  return [
    { shortName: 'O', value: s.O },
    { shortName: 'OU', value: s.OU },
    { shortName: 'CN', value: s.CN },
  ];
}

/** A positive random 128-bit serial number (hex), as RFC 5280 recommends. */
function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] & 0x7f) | 0x10;
  return b.toString('hex');
}

function newCert(publicPem: string, days: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicPem);
  cert.serialNumber = randomSerial();
  const now = Date.now();
  // a little slack for clocks that are behind
  cert.validity.notBefore = new Date(now - 10 * 60_000);
  cert.validity.notAfter = new Date(now + days * DAY_MS);
  return cert;
}

/** Sign with Node's crypto (sha256WithRSAEncryption) and return the PEM. */
/** forge.pki.getTBSCertificate exists at run time but is missing from @types/node-forge. */
const getTBSCertificate = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate;

function signCert(cert: forge.pki.Certificate, signerKeyPem: string): string {
  const c = cert as forge.pki.Certificate & { tbsCertificate: forge.asn1.Asn1; signatureOid: string; siginfo: { algorithmOid: string } };
  c.signatureOid = c.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption;
  c.tbsCertificate = getTBSCertificate(cert);
  const tbs = Buffer.from(forge.asn1.toDer(c.tbsCertificate).getBytes(), 'binary');
  c.signature = sign('sha256', tbs, signerKeyPem).toString('binary');
  return forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
}

/** Key identifier bytes of a certificate: its subjectKeyIdentifier extension, else SHA-1 of the key. */
function keyIdentifier(cert: forge.pki.Certificate): string {
  const ext = cert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | undefined;
  if (ext?.subjectKeyIdentifier) return forge.util.hexToBytes(ext.subjectKeyIdentifier);
  return cert.generateSubjectKeyIdentifier().getBytes();
}

/** A self-signed CA certificate and its key. */
export async function createCA(o: { subject: Subject; days?: number; key?: KeyPair }): Promise<CertAndKey> {
  const key = o.key ?? (await generateRsaKey());
  const cert = newCert(key.publicPem, o.days ?? 3650);
  const attrs = subjectAttrs(o.subject);
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: cert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  return { certPem: signCert(cert, key.keyPem), keyPem: key.keyPem };
}

export interface IssueOptions {
  ca: CertAndKey;
  subject: Subject;
  usage: 'server' | 'client';
  altNames?: AltName[];
  days?: number;
  key?: KeyPair;
}

/** A certificate for a server (serverAuth) or a client (clientAuth) signed by `ca`. */
export async function issueCert(o: IssueOptions): Promise<CertAndKey> {
  const key = o.key ?? (await generateRsaKey());
  const caCert = forge.pki.certificateFromPem(o.ca.certPem);
  const cert = newCert(key.publicPem, o.days ?? 730);
  cert.setSubject(subjectAttrs(o.subject));
  cert.setIssuer(caCert.subject.attributes);
  const exts: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: o.usage === 'server', clientAuth: o.usage === 'client' },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: keyIdentifier(caCert) },
  ];
  if (o.altNames?.length) {
    exts.push({
      name: 'subjectAltName',
      altNames: o.altNames.map((a) => ('dns' in a ? { type: 2, value: a.dns } : { type: 7, ip: a.ip })),
    });
  }
  cert.setExtensions(exts);
  return { certPem: signCert(cert, o.ca.keyPem), keyPem: key.keyPem };
}

/** subjectAltName entries for a list of host names and addresses (deduplicated, in order). */
export function altNamesFor(names: string[]): AltName[] {
  const seen = new Set<string>();
  const out: AltName[] = [];
  for (const raw of names) {
    const n = raw.trim().replace(/^\[(.*)\]$/, '$1');
    if (!n) continue;
    const ip = isIP(n) !== 0;
    const k = ip ? `ip:${n.toLowerCase()}` : `dns:${n.toLowerCase()}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(ip ? { ip: n } : { dns: n });
  }
  return out;
}

/** Certificate first, then the key: the single-file form Koji clients and kojid use. */
export function bundlePem(ck: CertAndKey): string {
  return ck.certPem.trimEnd() + '\n' + ck.keyPem.trimEnd() + '\n';
}

/** Split a PEM bundle into its first certificate and its private key. */
export function splitPem(text: string, source = 'PEM'): CertAndKey {
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(text);
  const key = /-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----[\s\S]*?-----END \1?PRIVATE KEY-----/.exec(text);
  if (!cert) throw new Error(`${source}: no certificate found`);
  if (!key) throw new Error(`${source}: no private key found`);
  return { certPem: cert[0] + '\n', keyPem: key[0] + '\n' };
}

/** Does `certPem` carry a signature by the CA whose certificate is `caPem`? */
export function signedBy(certPem: string, caPem: string): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(caPem);
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  } catch {
    return false;
  }
}

/** Do the certificate and the key belong together? */
export function keyMatchesCert(ck: CertAndKey): boolean {
  try {
    return new X509Certificate(ck.certPem).checkPrivateKey(createPrivateKey(ck.keyPem));
  } catch {
    return false;
  }
}

/**
 * PKCS#12 of a certificate, its key and the CA chain, encrypted with 3DES (PBE-SHA1-3DES) and
 * a SHA-1 MAC: the combination every browser and OpenSSL 3 (without the legacy provider) reads.
 */
export function makePkcs12(o: { ck: CertAndKey; chain: string[]; password: string; friendlyName: string }): Buffer {
  const key = forge.pki.privateKeyFromPem(o.ck.keyPem);
  const certs = [o.ck.certPem, ...o.chain].map((p) => forge.pki.certificateFromPem(p));
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, certs, o.password, {
    algorithm: '3des',
    friendlyName: o.friendlyName,
    generateLocalKeyId: true,
  });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** A random string of letters and digits (no look-alikes), uniformly drawn. */
export function randomSecret(length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s;
}
