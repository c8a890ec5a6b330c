/** `kojits demo [--data DIR] [--tag NAME] [--base-repo DIR]`: see src/setup/demo.ts. */
import { parseArgs } from 'node:util';
import { runDemo } from '../setup/demo.ts';
import { dataLayout } from '../setup/layout.ts';
import { kojiCommand, shellQuote, shownPath } from './banner.ts';
import { defaultDataDir } from './kojits.ts';

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { data: { type: 'string' }, tag: { type: 'string', default: 'dist-foo' }, 'base-repo': { type: 'string' } } });
  const dataDir = values.data ?? defaultDataDir();
  const say = (l: string) => process.stderr.write(`kojits demo: ${l}\n`);
  const r = await runDemo({ dataDir, tag: values.tag, baseRepo: values['base-repo'], say });
  const conf = shellQuote(shownPath(dataLayout(dataDir).kojiConf));
  const hello = r.srpms.find((f) => f.includes('/hello-')) ?? r.srpms[0];
  process.stdout.write(`demo ready: target ${values.tag}; example SRPMs in ${shownPath(dataLayout(dataDir).dataDir)}/examples. Build one:\n  ${kojiCommand()} -c ${conf} -p kojits build ${values.tag} ${shellQuote(shownPath(hello))}\n`);
  return 0;
}
