/**
 * Adler-32, the checksum Koji's upload protocol uses (`fileverify=adler32`; hexdigest is 8
 * lower-case hex digits). Node's zlib does not expose it; it is a few lines.
 */
export class Adler32 {
  private a = 1;
  private b = 0;

  update(buf: Uint8Array): this {
    const MOD = 65521;
    // process in blocks small enough that the sums cannot overflow 2^53 before the modulo
    const NMAX = 5552;
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < buf.length; ) {
      const end = Math.min(i + NMAX, buf.length);
      for (; i < end; i++) {
        a += buf[i];
        b += a;
      }
      a %= MOD;
      b %= MOD;
    }
    this.a = a;
    this.b = b;
    return this;
  }

  digest(): number {
    return ((this.b << 16) | this.a) >>> 0;
  }

  hexdigest(): string {
    return this.digest().toString(16).padStart(8, '0');
  }
}
