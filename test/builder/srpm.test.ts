import { describe, expect, it } from 'vitest';
import { buildArchList, chooseTaskArch, type SrpmFields } from '../../src/builder/srpm.ts';

const h = (o: Partial<SrpmFields> = {}): SrpmFields => ({ name: 'hello', version: '1', release: '1', epoch: null, buildarchs: [], exclusivearch: [], excludearch: [], packager: null, vendor: null, distribution: null, ...o });

describe('arch choice (BuildTask.getArchList, choose_taskarch)', () => {
  it('builds every tag arch, narrowed by ExclusiveArch / ExcludeArch, with noarch when the spec asks', () => {
    expect(buildArchList('x86_64 aarch64', h(), {})).toEqual(['x86_64', 'aarch64']);
    expect(buildArchList('x86_64 aarch64', h({ exclusivearch: ['aarch64'] }), {})).toEqual(['aarch64']);
    expect(buildArchList('x86_64 aarch64', h({ excludearch: ['x86_64'] }), {})).toEqual(['aarch64']);
    expect(buildArchList('x86_64 aarch64', h({ buildarchs: ['noarch'] }), {})).toEqual(['noarch']);
    expect(buildArchList('x86_64', h(), { extra: 'i686 s390x' })).toEqual(['x86_64']);
    expect(buildArchList('x86_64 i386', h(), { extra: 'i686' })).toEqual(['x86_64', 'i386', 'i686']);
  });

  it('honours arch_override for scratch builds only, and fails with Koji\'s messages', () => {
    expect(buildArchList('x86_64 aarch64', h(), { override: 'aarch64', scratch: true })).toEqual(['aarch64']);
    expect(buildArchList('x86_64 aarch64', h(), { override: 'aarch64', scratch: false })).toEqual(['x86_64', 'aarch64']);
    expect(() => buildArchList('x86_64', h({ exclusivearch: ['ppc64le'] }), {})).toThrow('No matching arches were found');
    expect(() => buildArchList('', h(), { tagName: 'f-build', tagId: 3 })).toThrow('No arches for tag f-build [3]');
  });

  it('keeps noarch subtasks noarch unless the SRPM or noarch_arches rules out a tag arch', () => {
    expect(chooseTaskArch('noarch', h(), 'x86_64 aarch64', null, [])).toBe('noarch');
    expect(chooseTaskArch('i686', null, 'x86_64 i386', null, [])).toBe('i386');
    expect(chooseTaskArch('i686', null, 'x86_64 i386', null, ['i6*'])).toBe('i686');
    expect(chooseTaskArch('noarch', h({ excludearch: ['aarch64'] }), 'x86_64 aarch64', null, [])).toBe('x86_64');
    expect(chooseTaskArch('noarch', h(), 'x86_64 aarch64', 'aarch64 s390x', [])).toBe('aarch64');
    expect(chooseTaskArch('noarch', h({ exclusivearch: ['x86_64', 'aarch64'] }), 'x86_64 aarch64', null, [])).toBe('noarch');
    expect(() => chooseTaskArch('noarch', h({ exclusivearch: ['s390x'] }), 'x86_64', null, [])).toThrow(/No valid arches were found/);
  });
});
