/**
 * KojiDir at /kojifiles/ (src/hub/files): files, ranges, HEAD, conditional GET, listings,
 * symbolic links inside and out of the tree, and refused paths. The file server does not touch
 * the database, so this runs on one engine.
 */
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundlePem, createCA, issueCert } from '../../src/setup/pki.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { contentTypeOf, pathSegments } from '../../src/hub/files/route.ts';
import { downloadFile, Output } from '../../src/cli/download.ts';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A request with the target sent exactly as given (fetch would normalise `..`). */
function raw(base: string, target: string, o: { method?: string; headers?: Record<string, string>; ca?: string } = {}): Promise<Reply> {
  const u = new URL(base);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request({ host: u.hostname, port: u.port, path: target, method: o.method ?? 'GET', headers: o.headers, ca: o.ca, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const SECRET = 'top secret hub.conf contents';

describe('the file tree at /kojifiles/', () => {
  let hub: TestHub;
  let base = '';
  let outside = '';
  let tls = '';
  let caPem = '';
  let caFile = '';
  const big = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;

  beforeAll(async () => {
    outside = mkdtempSync(join(tmpdir(), 'kojits-outside-'));
    writeFileSync(join(outside, 'hub.conf'), SECRET);
    tls = mkdtempSync(join(tmpdir(), 'kojits-files-tls-'));
    const ca = await createCA({ subject: { O: 'koji-ts', OU: 'ca', CN: 'test CA' } });
    caPem = ca.certPem;
    caFile = join(tls, 'ca.crt');
    writeFileSync(caFile, ca.certPem);
    const server = await issueCert({ ca, subject: { O: 'koji-ts', OU: 'hub', CN: 'localhost' }, usage: 'server', altNames: [{ dns: 'localhost' }, { ip: '127.0.0.1' }] });
    writeFileSync(join(tls, 'hub.pem'), bundlePem(server));
    hub = await startTestHub('pglite', { tls: { cert: join(tls, 'hub.pem'), ca: join(tls, 'ca.crt') } });
    base = hub.httpUrl!.replace(/\/kojihub$/, '');
    const put = (rel: string, data: string | Buffer) => {
      mkdirSync(dirname(join(hub.kojiDir, rel)), { recursive: true });
      writeFileSync(join(hub.kojiDir, rel), data);
    };
    put('packages/hello/1.2/3/noarch/hello-1.2-3.noarch.rpm', 'not really an rpm');
    put('packages/hello/1.2/3/data/logs/noarch/build.log', 'log line\n');
    put('repos/f40/7/x86_64/pkglist', 'toplink/packages/hello/1.2/3/noarch/hello-1.2-3.noarch.rpm\n');
    put('repos/f40/7/x86_64/repodata/repomd.xml', '<repomd/>');
    put('repos/f40/7/x86_64/repodata/primary.xml.gz', 'gz');
    put('repos/f40/7/repo.json', '{}');
    put('repos/f40/7/x86_64/repodata/primary.sqlite.zst', 'zst');
    put('work/big.bin', big);
    put('work/a file & more.txt', 'spaced');
    utimesSync(join(hub.kojiDir, 'work/big.bin'), 1700000000, 1700000000);
    symlinkSync('7', join(hub.kojiDir, 'repos/f40/latest'));
    symlinkSync('../../../..', join(hub.kojiDir, 'repos/f40/7/x86_64/toplink'));
    symlinkSync(join(outside, 'hub.conf'), join(hub.kojiDir, 'work/escape'));
    symlinkSync(outside, join(hub.kojiDir, 'work/escapedir'));
  });
  afterAll(async () => {
    await hub?.stop();
    rmSync(outside, { recursive: true, force: true });
    rmSync(tls, { recursive: true, force: true });
  });

  it('serves a file with its length, type and modification time, and HEAD without a body', async () => {
    const r = await raw(base, '/kojifiles/work/big.bin');
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe(String(big.length));
    expect(r.headers['last-modified']).toBe(new Date(1700000000 * 1000).toUTCString());
    expect(r.headers['accept-ranges']).toBe('bytes');
    expect(createHash('sha256').update(r.body).digest('hex')).toBe(createHash('sha256').update(big).digest('hex'));
    const h = await raw(base, '/kojifiles/work/big.bin', { method: 'HEAD' });
    expect(h.status).toBe(200);
    expect(h.headers['content-length']).toBe(String(big.length));
    expect(h.body.length).toBe(0);
    const rpm = await raw(base, '/kojifiles/packages/hello/1.2/3/noarch/hello-1.2-3.noarch.rpm');
    expect([rpm.status, rpm.headers['content-type'], rpm.body.toString()]).toEqual([200, 'application/x-rpm', 'not really an rpm']);
    const log = await raw(base, '/kojifiles/packages/hello/1.2/3/data/logs/noarch/build.log');
    expect(log.headers['content-type']).toBe('text/plain; charset=utf-8');
    const spaced = await raw(base, '/kojifiles/work/a%20file%20%26%20more.txt');
    expect([spaced.status, spaced.body.toString()]).toEqual([200, 'spaced']);
  });

  it('gives Koji content types', () => {
    expect(contentTypeOf('/x/repodata/repomd.xml')).toBeUndefined(); // mime-types: application/xml
    expect(contentTypeOf('/x/primary.sqlite')).toBe('application/vnd.sqlite3');
    expect(contentTypeOf('/x/primary.sqlite.zst')).toBe('application/zstd');
    expect(contentTypeOf('/x/x86_64/pkglist')).toBe('text/plain; charset=utf-8');
  });

  it('answers byte ranges with 206 and an unsatisfiable one with 416', async () => {
    const r = await raw(base, '/kojifiles/work/big.bin', { headers: { Range: 'bytes=100-199' } });
    expect(r.status).toBe(206);
    expect(r.headers['content-range']).toBe(`bytes 100-199/${big.length}`);
    expect(r.body.equals(big.subarray(100, 200))).toBe(true);
    const tail = await raw(base, '/kojifiles/work/big.bin', { headers: { Range: `bytes=${big.length - 5}-` } });
    expect(tail.status).toBe(206);
    expect(tail.body.equals(big.subarray(big.length - 5))).toBe(true);
    const past = await raw(base, '/kojifiles/work/big.bin', { headers: { Range: `bytes=${big.length}-` } });
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe(`bytes */${big.length}`);
  });

  it('streams from anywhere in a large file without reading the rest', async () => {
    // sparse: 8 GiB on disk costs nothing, and reading it whole would take far too long
    const size = 8 * 1024 ** 3;
    const fd = openSync(join(hub.kojiDir, 'work/huge.img'), 'w');
    ftruncateSync(fd, size);
    writeSync(fd, 'the end', size - 7);
    closeSync(fd);
    const h = await raw(base, '/kojifiles/work/huge.img', { method: 'HEAD' });
    expect(h.headers['content-length']).toBe(String(size));
    const r = await raw(base, '/kojifiles/work/huge.img', { headers: { Range: 'bytes=-7' } });
    expect([r.status, r.headers['content-range'], r.body.toString()]).toEqual([206, `bytes ${size - 7}-${size - 1}/${size}`, 'the end']);
  });

  it('answers If-Modified-Since with 304', async () => {
    const r = await raw(base, '/kojifiles/work/big.bin', { headers: { 'If-Modified-Since': new Date(1700000001 * 1000).toUTCString() } });
    expect(r.status).toBe(304);
    expect(r.body.length).toBe(0);
  });

  it('refuses traversal, however it is written, and never shows what lies outside', async () => {
    for (const target of [
      '/kojifiles/../hub.conf',
      '/kojifiles/work/../../hub.conf',
      '/kojifiles/%2e%2e/hub.conf',
      '/kojifiles/%2E%2E/%2e%2e/hub.conf',
      '/kojifiles/..%2fhub.conf',
      '/kojifiles/work/..%5c..%5chub.conf',
      '/kojifiles/work%00/big.bin',
      '/kojifiles/work/%ff%fe',
      `/kojifiles/${encodeURIComponent(outside)}/hub.conf`,
    ]) {
      const r = await raw(base, target);
      expect([400, 404], target).toContain(r.status);
      expect(r.body.toString(), target).not.toContain(SECRET);
    }
    expect((await raw(base, '/kojifiles/../hub.conf')).status).toBe(400);
    expect(() => pathSegments('/kojifiles/a/%2e/b')).toThrow('not allowed');
    expect(pathSegments('/kojifilesX/a')).toBeNull();
  });

  it('follows symbolic links that stay inside the tree and refuses those that leave it', async () => {
    const latest = await raw(base, '/kojifiles/repos/f40/latest/x86_64/repodata/repomd.xml');
    expect([latest.status, latest.body.toString(), latest.headers['content-type']]).toEqual([200, '<repomd/>', 'application/xml']);
    const toplink = await raw(base, '/kojifiles/repos/f40/7/x86_64/toplink/packages/hello/1.2/3/noarch/hello-1.2-3.noarch.rpm');
    expect(toplink.status).toBe(200);
    for (const target of ['/kojifiles/work/escape', '/kojifiles/work/escapedir/hub.conf', '/kojifiles/work/escapedir/']) {
      const r = await raw(base, target);
      expect(r.status, target).toBe(404);
      expect(r.body.toString()).not.toContain(SECRET);
    }
  });

  it('lists directories, sorted, with links, sizes and times, and redirects dir to dir/', async () => {
    const r = await raw(base, '/kojifiles/repos/f40/7/x86_64/');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    const html = r.body.toString();
    expect(html).toContain('<title>Index of /kojifiles/repos/f40/7/x86_64/</title>');
    const names = [...html.matchAll(/<a href="([^"]+)">/g)].map((m) => m[1]);
    expect(names).toEqual(['../', 'pkglist', 'repodata/', 'toplink/']);
    expect(html).toMatch(/<a href="pkglist">pkglist<\/a> +\d{4}-\d\d-\d\d \d\d:\d\d +59\n/);
    const w = (await raw(base, '/kojifiles/work/')).body.toString();
    expect(w).toContain('<a href="a%20file%20%26%20more.txt">a file &amp; more.txt</a>');
    expect(w).toContain(`${big.length}\n`);
    const top = (await raw(base, '/kojifiles/')).body.toString();
    expect(top).not.toContain('Parent Directory');
    const redirect = await raw(base, '/kojifiles/repos/f40/latest?x=1');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('/kojifiles/repos/f40/latest/');
    expect((await raw(base, '/kojifiles')).headers.location).toBe('/kojifiles/');
  });

  it('is read-only, answers what is missing with 404 and leaves the hub URL alone', async () => {
    const put = await raw(base, '/kojifiles/work/big.bin', { method: 'PUT' });
    expect([put.status, put.headers.allow]).toEqual([405, 'GET, HEAD']);
    expect((await raw(base, '/kojifiles/work/nope.rpm')).status).toBe(404);
    expect((await raw(base, '/kojihub')).status).toBe(405);
    expect((await raw(base, '/elsewhere')).status).toBe(404);
  });

  it('serves the same over HTTPS without a client certificate', async () => {
    const r = await raw(hub.httpsUrl!.replace(/\/kojihub$/, ''), '/kojifiles/work/big.bin', { headers: { Range: 'bytes=0-9' }, ca: caPem });
    expect(r.status).toBe(206);
    expect(r.body.equals(big.subarray(0, 10))).toBe(true);
    // the CLI's downloader trusts the profile's serverca
    const dest = join(outside, 'big.bin');
    const out = new Output(false);
    await downloadFile(out, `${hub.httpsUrl!.replace(/\/kojihub$/, '')}/kojifiles/work/big.bin`, dest, { noprogress: true, tls: { serverca: caFile } });
    expect(out.text).toBe(`Downloading: ${dest}\n`);
    expect(readFileSync(dest).equals(big)).toBe(true);
    expect(statSync(dest).mtimeMs).toBe(1700000000 * 1000);
  });
});

describe('ServeKojiFiles and KojiFilesDir', () => {
  it('serves another folder, or nothing', async () => {
    const other = mkdtempSync(join(tmpdir(), 'kojits-other-'));
    writeFileSync(join(other, 'x.txt'), 'other');
    const [a, b] = await Promise.all([
      startTestHub('pglite', { conf: `[hub]\nKojiFilesDir = ${other}\n` }),
      startTestHub('pglite', { conf: '[hub]\nServeKojiFiles = False\n' }),
    ]);
    try {
      const r = await raw(a.httpUrl!, '/kojifiles/x.txt');
      expect([r.status, r.body.toString()]).toEqual([200, 'other']);
      writeFileSync(join(b.kojiDir, 'x.txt'), 'mine');
      expect((await raw(b.httpUrl!, '/kojifiles/x.txt')).status).toBe(404);
    } finally {
      await a.stop();
      await b.stop();
      rmSync(other, { recursive: true, force: true });
    }
  });
});
