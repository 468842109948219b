// Time from spawn to the first PONG of one sentinel monitoring N live masters (issue 17: at 1 000 masters Vigil
// did not answer PING within the harness's 20 s start deadline). Starts N redis-servers, writes a sentinel.conf
// monitoring all of them, spawns one sentinel and PINGs it every 50 ms, reporting the first PONG and the longest
// gap between PONGs over the following seconds (an event-loop stall shows as a long gap).
//
//   npx tsx bench/scale/startup.ts [--masters 1000] [--impl vigil|redis] [--watch 20] [--profile DIR]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Harness, RespClient, freePort, vigilSentinelCommand, requireBinary } from '../../test/harness/index.js';
import type { RedisProc } from '../../test/harness/index.js';

const { values } = parseArgs({
  options: {
    masters: { type: 'string', default: '1000' },
    impl: { type: 'string', default: 'vigil' },
    watch: { type: 'string', default: '20' },
    profile: { type: 'string' },
  },
});
const MASTERS = Number(values.masters);
process.env.VIGIL_USE_DIST = '1';

async function inBatches<T, R>(items: T[], size: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

async function pingOnce(port: number, timeoutMs: number): Promise<boolean> {
  let c: RespClient | undefined;
  const timer = new Promise<false>((r) => setTimeout(() => r(false), timeoutMs));
  try {
    const attempt = (async () => {
      c = await RespClient.connect(port);
      return (await c.call('PING')) === 'PONG';
    })().catch(() => false);
    return await Promise.race([attempt, timer]);
  } finally {
    c?.close();
  }
}

async function main(): Promise<void> {
  const h = new Harness();
  try {
    const t0 = Date.now();
    const masters: RedisProc[] = await inBatches(
      Array.from({ length: MASTERS }, (_, i) => i),
      16,
      () => h.redis(),
    );
    console.log(`${MASTERS} redis-servers up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const lines = masters.flatMap((m, i) => [
      `sentinel monitor m${i} ${m.host} ${m.port} 2`,
      `sentinel down-after-milliseconds m${i} 5000`,
    ]);
    const dir = h.tempDir('vigil-startup-');
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(conf, lines.join('\n') + '\n');
    const port = await freePort();
    let cmd: string;
    let args: string[];
    if (values.impl === 'redis') {
      cmd = requireBinary('redis-sentinel');
      args = [conf, '--port', String(port)];
    } else {
      const v = vigilSentinelCommand();
      const prof = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [];
      cmd = v.cmd;
      args = [...prof, ...v.args, conf, '--port', String(port)];
    }
    const spawned = Date.now();
    const proc = await h.spawn(cmd, args, { name: `${values.impl}-sentinel`, cwd: dir });
    let first = -1;
    while (Date.now() - spawned < 120000) {
      if (await pingOnce(port, 1000)) {
        first = Date.now() - spawned;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    console.log(`first PONG ${first} ms after spawn`);
    // Then watch: one connection, PING every 50 ms, longest time one PING waited for its PONG.
    const c = await RespClient.connect(port);
    let worst = 0;
    let worstAt = 0;
    const watchEnd = Date.now() + Number(values.watch) * 1000;
    while (Date.now() < watchEnd) {
      const s = Date.now();
      await c.call('PING');
      const d = Date.now() - s;
      if (d > worst) {
        worst = d;
        worstAt = s - spawned;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    c.close();
    console.log(`longest PING round trip over the next ${values.watch} s: ${worst} ms (at ${worstAt} ms after spawn)`);
    console.log(
      JSON.stringify({
        impl: values.impl,
        masters: MASTERS,
        firstPongMs: first,
        worstPingMs: worst,
        worstAtMs: worstAt,
      }),
    );
    if (values.profile) await proc.kill('SIGTERM');
  } finally {
    await h.cleanup();
  }
}

await main();
