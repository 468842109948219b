// How to launch Vigil's own processes (sentinel, proxy) as children of `vigil up`. From the compiled tree
// (bin/vigil -> dist/) they run the compiled JavaScript; when `vigil` itself runs from source under tsx (tests,
// development), they run from source too, so a test never needs a rebuild.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SENTINEL_NODE_FLAGS } from '../cli/node-flags.js';

/** Repository (or installed package) root: this file is src/cluster/entry.ts or dist/cluster/entry.js. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const FROM_SOURCE = import.meta.url.endsWith('.ts');

export interface Launch {
  cmd: string;
  args: string[];
}

function tsxImport(): string[] {
  return ['--import', import.meta.resolve('tsx')];
}

/** `node … sentinel-main <conf>`; undefined (with the reason) when Vigil's sentinel is not there yet. */
export function vigilSentinelLaunch(): Launch | { missing: string } {
  if (FROM_SOURCE) {
    const src = join(REPO_ROOT, 'src/cli/sentinel-main.ts');
    if (!existsSync(src)) return { missing: `Vigil's sentinel is not in this tree yet (${src})` };
    return { cmd: process.execPath, args: [...SENTINEL_NODE_FLAGS, ...tsxImport(), src] };
  }
  const built = join(REPO_ROOT, 'dist/cli/sentinel-main.js');
  if (!existsSync(built))
    return { missing: `Vigil's sentinel is not built (${built} is missing): run \`npm run build\`` };
  return { cmd: process.execPath, args: [...SENTINEL_NODE_FLAGS, join(REPO_ROOT, 'bin/vigil-sentinel')] };
}

/** `node … vigil <args>`; for the proxy, with a check that the proxy subcommand exists. */
export function vigilProxyLaunch(): Launch | { missing: string } {
  if (FROM_SOURCE) {
    const src = join(REPO_ROOT, 'src/cli/proxy.ts');
    if (!existsSync(src)) return { missing: 'the proxy is not in this tree yet (src/cli/proxy.ts)' };
    return { cmd: process.execPath, args: [...tsxImport(), join(REPO_ROOT, 'src/cli/vigil.ts'), 'proxy'] };
  }
  const built = join(REPO_ROOT, 'dist/cli/proxy.js');
  if (!existsSync(built)) return { missing: 'the proxy is not built (dist/cli/proxy.js is missing)' };
  return { cmd: process.execPath, args: [join(REPO_ROOT, 'bin/vigil'), 'proxy'] };
}
