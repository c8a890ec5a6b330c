/**
 * Uploads the way the stock CLI shows them: koji_cli.lib._progress_callback's one-line progress
 * bar (rewritten in place with \r) during the upload, then the newline the stock commands print.
 */
import type { CliContext } from './command.ts';
import { formatSize } from './download.ts';

/** koji_cli.lib._format_secs */
const formatSecs = (t: number) => [Math.trunc(t / 3600), Math.trunc((t % 3600) / 60), Math.trunc(t % 60)].map((n) => String(n).padStart(2, '0')).join(':');

/** uploadWrapper with koji_cli.lib._progress_callback's line, then the newline the stock command prints. */
export async function uploadWithProgress(ctx: CliContext, path: string, serverdir: string, showProgress = true): Promise<void> {
  const start = Date.now();
  let last = start;
  let lastDone = 0;
  await ctx.session.uploadWrapper(path, serverdir, undefined, {
    progress: (done, total) => {
      if (!showProgress) return;
      const now = Date.now();
      const [piece, secs, totalSecs] = [done - lastDone, (now - last) / 1000, (now - start) / 1000];
      [last, lastDone] = [now, done];
      const fraction = total === 0 ? 0 : done / total;
      let speed = '- B/sec';
      if (secs && piece) speed = `${formatSize(done !== total ? piece / secs : total / totalSecs)}/sec`;
      const pct = `${String(Math.trunc(fraction * 100)).padStart(2, '0')}%`;
      ctx.print(`[${'='.repeat(Math.trunc(fraction * 36)).padEnd(36)}] ${pct.padStart(4)} ${formatSecs(totalSecs).padStart(8)} ${formatSize(done).padStart(10)} ${speed.padStart(14)}\r`);
    },
  });
  ctx.print('\n');
}
