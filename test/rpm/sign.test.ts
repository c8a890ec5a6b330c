/**
 * Signed packages: copies of a fixture signed by rpmsign with throwaway GnuPG keys (RSA, DSA and
 * EdDSA; header-only and --rpmv3 header+payload signatures). rpmInfo must report the signing key
 * as gpg lists it (Koji's sigkey: last 8 hex digits of the key id, lower-case) and as
 * `rpm -qp --qf '%{RSAHEADER:pgpsig}'` shows it, with the main header left byte-identical.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerDigest, readRpmHeaders, rpmInfo, sigpacketKeyId, getBinary, RPMSIGTAG } from '../../src/rpm/index.ts';
import { buildFixture, createSigningKey, SKIP_RPMBUILD_TESTS, removeSigningKey, rpmQuery, signCopy, type SigningKey } from './build-fixtures.ts';

const CASES = [
  { algo: 'rsa2048', v3: false, tags: ['rsa'], koji: 'rsa', rpmTag: 'RSAHEADER' },
  { algo: 'rsa2048', v3: true, tags: ['rsa', 'pgp'], koji: 'pgp', rpmTag: 'SIGPGP' },
  { algo: 'dsa2048', v3: true, tags: ['dsa', 'gpg'], koji: 'gpg', rpmTag: 'SIGGPG' },
  { algo: 'ed25519', v3: false, tags: ['dsa'], koji: 'dsa', rpmTag: 'DSAHEADER' },
] as const;

describe.skipIf(SKIP_RPMBUILD_TESTS)('signed packages', () => {
  let unsigned = '';
  let work = '';
  const keys = new Map<string, SigningKey | string>();

  beforeAll(() => {
    unsigned = buildFixture('hello').rpms[0];
    work = mkdtempSync(join(tmpdir(), 'kts-rpmsign-'));
  });

  afterAll(() => {
    for (const k of keys.values()) if (typeof k !== 'string') removeSigningKey(k.home);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function keyFor(algo: string): SigningKey | string {
    if (!keys.has(algo)) {
      const r = createSigningKey(algo);
      keys.set(algo, r.ok ? r.value : r.reason);
    }
    return keys.get(algo)!;
  }

  for (const c of CASES) {
    it(`reports the key of a ${c.algo} ${c.v3 ? 'header+payload (--rpmv3)' : 'header'} signature`, async (ctx) => {
      const key = keyFor(c.algo);
      if (typeof key === 'string') return ctx.skip(`cannot create a ${c.algo} key here: ${key}`);
      const dest = join(work, `hello-${c.algo}${c.v3 ? '-v3' : ''}.rpm`);
      const signed = signCopy(unsigned, dest, key, c.v3);
      if (!signed.ok) return ctx.skip(`cannot sign with rpmsign here: ${signed.reason}`);

      const info = await rpmInfo(dest);
      const before = await rpmInfo(unsigned);
      expect(info.sigkey).toBe(key.keyId.slice(-8).toLowerCase());
      expect(info.sigkey).toMatch(/^[0-9a-f]{8}$/);
      expect(info.signature?.keyId).toBe(key.keyId.toLowerCase());
      expect(info.signature?.tagName).toBe(c.koji);
      expect(info.signature?.version).toBe(4);
      expect(info.signature?.fingerprint).toBe(key.fingerprint.toLowerCase());
      expect(info.headerSigs).toEqual(expect.arrayContaining([...c.tags, 'sha1', 'sha256', 'md5']));
      expect(info.headerSigs.filter((s) => ['rsa', 'dsa', 'pgp', 'gpg'].includes(s)).sort()).toEqual([...c.tags].sort());

      // rpm's own rendering of the signature names the same key
      const shown = rpmQuery(dest, '--queryformat', `%{${c.rpmTag}:pgpsig}`);
      expect(shown).toMatch(new RegExp(`Key ID ${key.keyId.toLowerCase()}$`));

      // signing leaves the main header and the payload alone: same payloadhash, same header bytes
      expect(info.payloadhash).toBe(before.payloadhash);
      const layoutFree = { signature: null, sigkey: '', headerSigs: [], size: 0, sigHeaderRange: null, headerRange: null, payloadOffset: 0 };
      expect({ ...info, ...layoutFree }).toEqual({ ...before, ...layoutFree });
      const [a, b] = [await readRpmHeaders(dest), await readRpmHeaders(unsigned)];
      expect(headerDigest(a)).toBe(headerDigest(b));
      expect(a.sigHeaderBytes.equals(b.sigHeaderBytes)).toBe(false);
      // every signature tag present names the same key
      for (const tag of [RPMSIGTAG.RSA, RPMSIGTAG.DSA, RPMSIGTAG.PGP, RPMSIGTAG.GPG]) {
        const packet = getBinary(a.signature, tag);
        if (packet) expect(sigpacketKeyId(packet)).toBe(info.sigkey);
      }
    });
  }
});
