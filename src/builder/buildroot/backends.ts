/** The buildroot backend a builder uses (kojid.conf), by name. */
import { BuildrootError } from '../../protocol/faults.ts';
import type { KojidOptions } from '../../config/kojid.ts';
import type { BuildrootBackend } from './types.ts';

export function buildrootBackend(_options: KojidOptions): BuildrootBackend {
  throw new BuildrootError('no buildroot backend is available on this builder yet');
}
