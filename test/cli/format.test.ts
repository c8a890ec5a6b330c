import { afterEach, describe, expect, it } from 'vitest';
import { formatTimeLong, ljust, pyFixed, pyInt, rjust, truncateString } from '../../src/cli/commands/common.ts';

describe('Python formatting helpers for CLI output', () => {
  it("pyFixed is '%.Nf': exact ties round to even", () => {
    expect([0.25, 0.35, 2.5, 1.05, 0.125, -0.25, 4.45, 1e-7, 12.75, 1.25].map((x) => pyFixed(x, 1))).toEqual(['0.2', '0.3', '2.5', '1.1', '0.1', '-0.2', '4.5', '0.0', '12.8', '1.2']);
    expect([0.125, 0.375, 1.005, 2].map((x) => pyFixed(x, 2))).toEqual(['0.12', '0.38', '1.00', '2.00']);
    expect(pyFixed(0.5, 0)).toBe('0');
    expect(pyFixed(1.5, 0)).toBe('2');
  });

  it("pyInt is '%Nd' (floats truncate)", () => {
    expect(pyInt(22.72, 6)).toBe('    22');
    expect(pyInt(-0.5, 3)).toBe('  0');
    expect(pyInt(1234567, 6)).toBe('1234567');
  });

  it('truncate_string and padding', () => {
    expect(truncateString(null)).toBe('');
    expect(truncateString('a\nb')).toBe('a b');
    expect(truncateString('x'.repeat(48))).toBe('x'.repeat(47) + '...');
    expect(truncateString('x'.repeat(47))).toBe('x'.repeat(47));
    expect(ljust('é', 3)).toBe('é  ');
    expect(rjust('ab', 4)).toBe('  ab');
  });

  describe('formatTimeLong', () => {
    const saved = process.env.TZ;
    afterEach(() => {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    });

    it('prints local time with the zone abbreviation, as koji.formatTimeLong', () => {
      process.env.TZ = 'UTC';
      expect(formatTimeLong(1031356801)).toBe('Sat, 07 Sep 2002 00:00:01 UTC');
      expect(formatTimeLong(1700000000.9)).toBe('Tue, 14 Nov 2023 22:13:20 UTC');
      expect(formatTimeLong(0)).toBe('Thu, 01 Jan 1970 00:00:00 UTC');
      expect(formatTimeLong(null)).toBe('');
      process.env.TZ = 'Europe/Berlin';
      expect(formatTimeLong(1720000000)).toBe('Wed, 03 Jul 2024 11:46:40 CEST');
      expect(formatTimeLong(1700000000)).toBe('Tue, 14 Nov 2023 23:13:20 CET');
      process.env.TZ = 'America/New_York';
      expect(formatTimeLong(1720000000)).toBe('Wed, 03 Jul 2024 05:46:40 EDT');
      // the repeated hour when summer time ends: first EDT, then EST
      expect(formatTimeLong(1730611800)).toBe('Sun, 03 Nov 2024 01:30:00 EDT');
      expect(formatTimeLong(1730615400)).toBe('Sun, 03 Nov 2024 01:30:00 EST');
    });
  });
});
