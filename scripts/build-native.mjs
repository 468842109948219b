#!/usr/bin/env node
// Builds the proxy's native byte pump (native/pump.c -> build/vigil_pump.node) with the system C compiler and
// Node's own headers. Runs from `npm run prepare` (so `npm ci` builds it). The pump is optional: when there is
// no compiler or no headers this prints why and exits 0, and the proxy forwards in JavaScript instead.
// Under CI=true (or VIGIL_REQUIRE_PUMP=1) a failed build is an error, so CI always tests the native path.
// VIGIL_PUMP_ASAN=1 builds an AddressSanitizer copy instead (build/vigil_pump_asan.node, never the default path):
// load it with VIGIL_PUMP_PATH=build/vigil_pump_asan.node and LD_PRELOAD=$(cc -print-file-name=libasan.so),
// as .ci/run does for the pump tests.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'native', 'pump.c');
const asan = process.env.VIGIL_PUMP_ASAN === '1';
const out = join(root, 'build', asan ? 'vigil_pump_asan.node' : 'vigil_pump.node');
const strict = asan || process.env.CI === 'true' || process.env.VIGIL_REQUIRE_PUMP === '1';

function giveUp(why) {
  const msg = `vigil: native pump not built (${why}); the proxy will forward in JavaScript (slower). Install a C compiler (apt-get install -y gcc) and run 'npm run build:native' to build it.`;
  if (strict) {
    console.error(`${msg}\nvigil: failing because CI=true or VIGIL_REQUIRE_PUMP=1`);
    process.exit(1);
  }
  console.warn(msg);
  process.exit(0);
}

if (process.platform !== 'linux') giveUp('it needs Linux');
const candidates = [
  process.env.VIGIL_NODE_INCLUDE,
  join(dirname(process.execPath), '..', 'include', 'node'),
  '/usr/include/node',
  '/usr/local/include/node',
].filter(Boolean);
const include = candidates.find((d) => existsSync(join(d, 'node_api.h')));
if (!include) giveUp(`node_api.h not found in ${candidates.join(', ')}`);
const cc = process.env.CC || 'cc';
mkdirSync(dirname(out), { recursive: true });
const tmp = `${out}.${process.pid}.tmp`;
const opt = asan ? ['-O1', '-g', '-fsanitize=address', '-fno-omit-frame-pointer'] : ['-O2'];
const args = [...opt, '-Wall', '-Wextra', '-std=gnu11', '-shared', '-fPIC', '-pthread', `-I${include}`, src, '-o', tmp];
const r = spawnSync(cc, args, { stdio: ['ignore', 'inherit', 'inherit'] });
if (r.error) giveUp(`${cc}: ${r.error.message}`);
if (r.status !== 0) giveUp(`${cc} exited with ${r.status}`);
renameSync(tmp, out);
console.log(`vigil: built ${out}`);
