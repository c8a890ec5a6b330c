/**
 * The certificates `kojits init` makes, checked by independent verifiers: Node's X509Certificate,
 * a real TLS handshake with client certificates (and one from an unrelated CA), the openssl
 * binary reading the PKCS#12 bundle; and issueCertificate for new users and build hosts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initDataDir, issueCertificate, type InitResult } from '../../src/setup/init.ts';
import { bundlePem, createCA, issueCert } from '../../src/setup/pki.ts';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

let dir: string;
let r: InitResult;
let ca: X509Certificate;
const cert = (file: string) => new X509Certificate(readFileSync(file));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kojits-pki-'));
  r = await initDataDir({ dataDir: dir });
  ca = cert(r.caCert);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('certificates', () => {
  it('has a self-signed CA', () => {
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(ca.subject.trim().split('\n').slice(0, 2)).toEqual(['O=koji-ts', 'OU=ca']);
    expect(ca.subject).toMatch(/\nCN=koji-ts CA \S+/);
    const years = (Date.parse(ca.validTo) - Date.now()) / (365.25 * 86_400_000);
    expect(years).toBeGreaterThan(9.9);
    expect(ca.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('issues a server certificate the CA verifies', () => {
    const hub = cert(join(dir, 'pki', 'hub.pem'));
    expect(hub.ca).toBe(false);
    expect(hub.verify(ca.publicKey)).toBe(true);
    expect(hub.checkIssued(ca)).toBe(true);
    expect(hub.checkHost('localhost')).toBe('localhost');
    expect(hub.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(hub.checkIP('::1')).toBe('::1');
    expect(hub.subject.trim()).toBe('O=koji-ts\nOU=hub\nCN=localhost');
    expect(hub.keyUsage).toEqual([SERVER_AUTH]);
    const years = (Date.parse(hub.validTo) - Date.now()) / (365.25 * 86_400_000);
    expect(years).toBeGreaterThan(1.9);
    expect(years).toBeLessThan(2.1);
  });

  it('issues client certificates with the right subjects', () => {
    const want: Record<string, string> = {
      'pki/kojiweb.pem': 'O=koji-ts\nOU=kojiweb\nCN=kojiweb',
      'pki/kojira.pem': 'O=koji-ts\nOU=kojira\nCN=kojira',
      'pki/builder.pem': 'O=koji-ts\nOU=builder\nCN=localhost',
      'pki/kojiadmin.pem': 'O=koji-ts\nOU=users\nCN=kojiadmin',
      'client/admin.pem': 'O=koji-ts\nOU=users\nCN=kojiadmin',
    };
    for (const [file, subject] of Object.entries(want)) {
      const c = cert(join(dir, file));
      expect(c.subject.trim(), file).toBe(subject);
      expect(c.keyUsage, file).toEqual([CLIENT_AUTH]);
      expect(c.verify(ca.publicKey), file).toBe(true);
    }
    expect(readFileSync(r.adminPem, 'utf8')).toBe(readFileSync(join(dir, 'pki', 'kojiadmin.pem'), 'utf8'));
    expect(readFileSync(join(dir, 'client', 'serverca.crt'), 'utf8')).toBe(readFileSync(r.caCert, 'utf8'));
    // cert first, then the key
    expect(readFileSync(r.adminPem, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----[\s\S]+-----BEGIN PRIVATE KEY-----/);
  });

  it('makes a PKCS#12 bundle openssl reads', () => {
    const pwFile = join(dir, 'client', 'admin.p12-password');
    const out = execFileSync('/usr/bin/openssl', ['pkcs12', '-in', r.adminP12, '-passin', `file:${pwFile}`, '-nokeys'], { encoding: 'utf8' });
    const certs = out.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    expect(certs.map((p) => new X509Certificate(p).fingerprint256)).toEqual([cert(r.adminPem).fingerprint256, ca.fingerprint256]);
    const key = execFileSync('/usr/bin/openssl', ['pkcs12', '-in', r.adminP12, '-passin', `file:${pwFile}`, '-nocerts', '-nodes'], { encoding: 'utf8' });
    expect(cert(r.adminPem).checkPrivateKey(createPrivateKey(pemKey(key)))).toBe(true);
  });
});

function pemKey(pem: string): string {
  const m = /-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----/.exec(pem);
  if (!m) throw new Error('no key in openssl output');
  return m[0];
}

describe('TLS handshake', () => {
  let server: https.Server;
  let port: number;

  beforeAll(async () => {
    const hubPem = readFileSync(join(dir, 'pki', 'hub.pem'));
    server = https.createServer({ key: hubPem, cert: hubPem, ca: readFileSync(r.caCert), requestCert: true, rejectUnauthorized: false }, (req, res) => {
      const s = req.socket as TLSSocket;
      const peer = s.getPeerX509Certificate();
      res.end(JSON.stringify({ authorized: s.authorized, error: s.authorizationError ?? null, subject: peer?.subject.trim() ?? null }));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  function call(clientPem: string | Buffer, servername?: string): Promise<{ authorized: boolean; error: string | null; subject: string | null }> {
    return new Promise((ok, fail) => {
      const req = https.request(
        { host: '127.0.0.1', port, path: '/', servername, ca: readFileSync(join(dir, 'client', 'serverca.crt')), cert: clientPem, key: clientPem, agent: false },
        (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => ok(JSON.parse(body)));
        },
      );
      req.on('error', fail);
      req.end();
    });
  }

  it('authenticates the admin certificate (server checked by IP and by name)', async () => {
    const admin = readFileSync(r.adminPem);
    for (const name of [undefined, 'localhost']) {
      const seen = await call(admin, name);
      expect(seen.authorized).toBe(true);
      expect(seen.subject).toBe('O=koji-ts\nOU=users\nCN=kojiadmin');
    }
  });

  it('does not authorize a certificate from an unrelated CA', async () => {
    const other = await createCA({ subject: { O: 'elsewhere', OU: 'ca', CN: 'unrelated CA' } });
    const intruder = await issueCert({ ca: other, subject: { O: 'koji-ts', OU: 'users', CN: 'kojiadmin' }, usage: 'client' });
    const seen = await call(bundlePem(intruder));
    expect(seen.authorized).toBe(false);
    expect(seen.error).toBeTruthy();
    expect(seen.subject).toBe('O=koji-ts\nOU=users\nCN=kojiadmin');
  });
});

describe('issueCertificate', () => {
  it('issues a user certificate once', async () => {
    const path = await issueCertificate({ dataDir: dir, name: 'alice@example.com', kind: 'user' });
    expect(path).toBe(join(dir, 'pki', 'alice@example.com.pem'));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const c = cert(path);
    expect(c.subject.trim()).toBe('O=koji-ts\nOU=users\nCN=alice@example.com');
    expect(c.keyUsage).toEqual([CLIENT_AUTH]);
    expect(c.verify(ca.publicKey)).toBe(true);
    const text = readFileSync(path, 'utf8');
    expect(await issueCertificate({ dataDir: dir, name: 'alice@example.com', kind: 'user' })).toBe(path);
    expect(readFileSync(path, 'utf8')).toBe(text);
    await expect(issueCertificate({ dataDir: dir, name: 'alice@example.com', kind: 'host' })).rejects.toThrow(/already exists/);
  });

  it('issues a build host certificate to a chosen file', async () => {
    const out = join(dir, 'elsewhere', 'b2.pem');
    expect(await issueCertificate({ dataDir: dir, name: 'builder2.example.com', kind: 'host', outFile: out })).toBe(out);
    expect(cert(out).subject.trim()).toBe('O=koji-ts\nOU=builder\nCN=builder2.example.com');
  });

  it('refuses bad names and service identities', async () => {
    await expect(issueCertificate({ dataDir: dir, name: '../evil', kind: 'user' })).rejects.toThrow(/"\.\.\/evil"/);
    expect(existsSync(join(dir, 'evil.pem'))).toBe(false);
    await expect(issueCertificate({ dataDir: dir, name: '', kind: 'host' })).rejects.toThrow(/invalid name/);
    await expect(issueCertificate({ dataDir: dir, name: 'kojiweb', kind: 'user' })).rejects.toThrow(/OU=kojiweb/);
  });
});
