// Rolling migration (docs/migrate.md is derived from this test): a 3-host group of real redis-sentinel 7.0.15
// (hosts 127.0.0.11–13, each a redis-server on :6379 and a sentinel on :26379) is replaced by Vigil one sentinel
// at a time, each Vigil started on the very config file the redis-sentinel it replaces had rewritten, while a
// Sentinel-aware client (ioredis) writes: no failover (master and config-epoch unchanged), no client error, the
// same sentinel IDs; then a SENTINEL FAILOVER through the all-Vigil group works and the writer follows it.
//
// Network rule (/work/shared/reference/reliability.md): the hosts live inside an anonymous network namespace. The
// outer test re-executes this file under `unshare -n` (loopback only, nothing else in the namespace) and skips
// with a message where unshare is not permitted.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import {
  Harness,
  RespClient,
  answersPong,
  missingBinaries,
  requireBinary,
  vigilSentinelCommand,
  type OwnedProcess,
} from '../harness/index.js';
import type { Reply } from '../../src/resp/types.js';

const INNER = process.env.VIGIL_MIGRATE_INNER === '1';
const HOSTS = ['127.0.0.11', '127.0.0.12', '127.0.0.13'] as const;
const MASTER = `${HOSTS[0]}:6379`;

function unshareProblem(): string | false {
  const r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], { encoding: 'utf8' });
  if (r.error) return `unshare not available (${r.error.message}): migration test skipped`;
  if (r.status !== 0) return `unshare -n not permitted here (${r.stderr.trim()}): migration test skipped`;
  return false;
}

/** The inner run's environment: a plain `node --test` (not a child of this test runner). */
function innerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, VIGIL_MIGRATE_INNER: '1' };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

if (!INNER) {
  const missing = missingBinaries('redis-server', 'redis-sentinel');
  void describe('migrate - rolling redis-sentinel → Vigil (in a network namespace)', () => {
    void test('migrate - the namespaced run passes', { skip: missing || unshareProblem(), timeout: 420_000 }, () => {
      const self = fileURLToPath(import.meta.url);
      const r = spawnSync(
        'unshare',
        [
          '-n',
          'sh',
          '-c',
          'ip link set lo up && exec "$0" "$@"',
          process.execPath,
          '--import',
          'tsx',
          '--test',
          '--test-reporter=spec',
          self,
        ],
        { encoding: 'utf8', env: innerEnv(), timeout: 400_000 },
      );
      // The inner run's report: the measured step times end up in this test's output.
      process.stdout.write(r.stdout);
      assert.equal(r.status, 0, `inner run failed:\n${r.stdout}\n${r.stderr}`);
    });
  });
} else {
  void describe('migrate - inner (namespaced hosts 127.0.0.11-13)', () => {
    const h = new Harness();
    let writer: Writer | undefined;
    after(async () => {
      await writer?.stop();
      await h.cleanup();
    });

    async function callAt(host: string, port: number, ...args: string[]): Promise<Reply> {
      const c = await RespClient.connect(port, { host, connectTimeoutMs: 1000 });
      try {
        return await c.call(...args);
      } finally {
        c.close();
      }
    }
    const rec = (r: Reply): Record<string, string> => {
      const o: Record<string, string> = {};
      if (Array.isArray(r)) for (let i = 0; i + 1 < r.length; i += 2) o[String(r[i])] = String(r[i + 1]);
      return o;
    };

    /**
     * Every sentinel: master MASTER (flags master, config-epoch 0), 2 ok replicas and 2 ok sentinels that it
     * heard from recently (a replica ping-replied in the last 1.5 s, a sentinel's hello in the last 2.5 s), and
     * CKQUORUM OK. Only checked HELLO_PERIOD after the last restart, so a record loaded from the file (whose
     * timers start at load) can only pass by a real reply or hello.
     */
    let lastRestartAt = 0;
    async function groupHealthy(expectMaster = MASTER, epochZero = true): Promise<boolean> {
      if (Date.now() - lastRestartAt < 2600) return false;
      for (const host of HOSTS) {
        try {
          const addr = await callAt(host, 26379, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster');
          if (!Array.isArray(addr) || `${String(addr[0])}:${String(addr[1])}` !== expectMaster) return false;
          const m = rec(await callAt(host, 26379, 'SENTINEL', 'MASTER', 'mymaster'));
          if (m.flags !== 'master' || (epochZero && m['config-epoch'] !== '0')) return false;
          const reps = await callAt(host, 26379, 'SENTINEL', 'REPLICAS', 'mymaster');
          const sens = await callAt(host, 26379, 'SENTINEL', 'SENTINELS', 'mymaster');
          const fresh = (r: Record<string, string>, field: string, ms: number): boolean => Number(r[field]) < ms;
          if (!Array.isArray(reps)) return false;
          const okReps = reps.map(rec).filter((r) => r.flags === 'slave' && fresh(r, 'last-ok-ping-reply', 1500));
          if (okReps.length !== 2) return false;
          if (!Array.isArray(sens)) return false;
          const okSens = sens
            .map(rec)
            .filter((r) => r.flags === 'sentinel' && fresh(r, 'last-ok-ping-reply', 1500))
            .filter((r) => fresh(r, 'last-hello-message', 2500));
          if (okSens.length !== 2) return false;
          const ck = await callAt(host, 26379, 'SENTINEL', 'CKQUORUM', 'mymaster');
          if (typeof ck !== 'string' || !ck.startsWith('OK')) return false;
        } catch {
          return false;
        }
      }
      return true;
    }

    class Writer {
      acks = 0;
      errors: string[] = [];
      private stopped = false;
      private done: Promise<void>;
      constructor(private readonly r: Redis) {
        this.done = this.loop();
      }
      private async loop(): Promise<void> {
        while (!this.stopped) {
          try {
            await this.r.incr('migrate:counter');
            this.acks++;
          } catch (e) {
            this.errors.push(`${new Date().toISOString()} ${(e as Error).message}`);
          }
          await new Promise((res) => setTimeout(res, 5));
        }
      }
      async stop(): Promise<void> {
        this.stopped = true;
        await this.done;
        this.r.disconnect();
      }
    }

    void test(
      'migrate - replace each redis-sentinel by Vigil under a writer, then fail over',
      { timeout: 360_000 },
      async () => {
        const timings: string[] = [];
        const t0 = Date.now();
        const mark = (what: string): void => {
          timings.push(`${((Date.now() - t0) / 1000).toFixed(1)} s  ${what}`);
        };
        // Hosts: redis-server on :6379 (12 and 13 replicate 11), real redis-sentinel on :26379.
        for (const [i, host] of HOSTS.entries()) {
          const dir = h.tempDir(`vigil-migrate-redis-${i}-`);
          await h.spawn(
            requireBinary('redis-server'),
            [
              '--port',
              '6379',
              '--bind',
              host,
              '--bind-source-addr',
              host,
              '--replica-announce-ip',
              host,
              '--dir',
              dir,
              '--save',
              '',
              '--appendonly',
              'no',
              '--protected-mode',
              'no',
              ...(i > 0 ? ['--replicaof', HOSTS[0], '6379'] : []),
            ],
            { name: `redis ${host}`, cwd: dir, readyWhen: () => answersPong(6379, { host }), readyTimeoutMs: 20_000 },
          );
        }
        const confs: string[] = [];
        const sentinels: OwnedProcess[] = [];
        for (const [i, host] of HOSTS.entries()) {
          const dir = h.tempDir(`vigil-migrate-sentinel-${i}-`);
          const conf = join(dir, 'sentinel.conf');
          writeFileSync(
            conf,
            [
              'port 26379',
              `bind ${host}`,
              `bind-source-addr ${host}`,
              'protected-mode no',
              `dir ${dir}`,
              `sentinel monitor mymaster ${HOSTS[0]} 6379 2`,
              'sentinel down-after-milliseconds mymaster 5000',
              'sentinel failover-timeout mymaster 10000',
              '',
            ].join('\n'),
          );
          confs.push(conf);
          sentinels.push(
            await h.spawn(requireBinary('redis-sentinel'), [conf], {
              name: `redis-sentinel ${host}`,
              cwd: dir,
              readyWhen: () => answersPong(26379, { host }),
              readyTimeoutMs: 20_000,
            }),
          );
        }
        await h.waitFor(() => groupHealthy(), {
          name: 'redis-sentinel group healthy',
          timeoutMs: 60_000,
          intervalMs: 250,
        });
        mark('redis-sentinel group healthy');

        writer = new Writer(
          new Redis({
            sentinels: HOSTS.map((host) => ({ host, port: 26379 })),
            name: 'mymaster',
            maxRetriesPerRequest: 20,
            lazyConnect: false,
          }),
        );
        await h.waitFor(() => writer!.acks > 50, { name: 'writer running', timeoutMs: 20_000 });
        mark('writer running');

        for (const [i, host] of HOSTS.entries()) {
          const id = String(await callAt(host, 26379, 'SENTINEL', 'MYID'));
          const before = writer.acks;
          // 1. Stop the redis-sentinel (SIGTERM: it flushes its config), 2. start Vigil on the same file.
          await sentinels[i]!.kill('SIGTERM');
          mark(`${host}: redis-sentinel stopped (SIGTERM)`);
          const { cmd, args } = vigilSentinelCommand();
          sentinels[i] = await h.spawn(cmd, [...args, confs[i]!], {
            name: `vigil ${host}`,
            readyWhen: () => answersPong(26379, { host }),
            readyTimeoutMs: 30_000,
          });
          lastRestartAt = Date.now();
          mark(`${host}: Vigil answering on the same config file`);
          assert.equal(String(await callAt(host, 26379, 'SENTINEL', 'MYID')), id, `${host} keeps its sentinel ID`);
          // 3. Wait until the group is whole again before touching the next host.
          await h.waitFor(() => groupHealthy(), {
            name: `group healthy after ${host}`,
            timeoutMs: 60_000,
            intervalMs: 250,
          });
          mark(`${host}: group healthy (every sentinel: same master, 2 replicas, 2 sentinels, CKQUORUM OK)`);
          assert.ok(writer.acks > before, `the writer made progress while ${host} was migrated`);
          assert.deepEqual(writer.errors, [], 'no client error');
        }
        for (const host of HOSTS) {
          const info = String(await callAt(host, 26379, 'INFO', 'server'));
          assert.match(info, /^executable:.*sentinel-main/m, `${host} runs Vigil now`);
        }

        // Then a failover through the all-Vigil group works and the writer follows.
        const acksBefore = writer.acks;
        assert.equal(await callAt(HOSTS[0], 26379, 'SENTINEL', 'FAILOVER', 'mymaster'), 'OK');
        mark('SENTINEL FAILOVER sent');
        let newMaster = '';
        await h.waitFor(
          async () => {
            const names = await Promise.all(
              HOSTS.map((host) =>
                callAt(host, 26379, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster').then(
                  (a) => (Array.isArray(a) ? `${String(a[0])}:${String(a[1])}` : ''),
                  () => '',
                ),
              ),
            );
            newMaster = names[0] ?? '';
            return newMaster !== MASTER && newMaster !== '' && names.every((n) => n === newMaster);
          },
          { name: 'all sentinels report the new master', timeoutMs: 60_000, intervalMs: 100 },
        );
        mark(`failover done: ${newMaster}`);
        await h.waitFor(() => groupHealthy(newMaster, false), {
          name: 'group healthy after the failover',
          timeoutMs: 60_000,
          intervalMs: 250,
        });
        await h.waitFor(() => writer!.acks > acksBefore + 100, {
          name: 'writer follows the new master',
          timeoutMs: 30_000,
        });
        mark('writer writing to the new master');
        const role = await callAt(newMaster.split(':')[0]!, 6379, 'ROLE');
        assert.ok(Array.isArray(role) && role[0] === 'master');
        const errorsDuringFailover = writer.errors.length;
        await writer.stop();
        writer = undefined;
        process.stdout.write(
          `# migration timeline\n${timings.map((l) => `#   ${l}`).join('\n')}\n# client errors during the failover: ${errorsDuringFailover}\n`,
        );
      },
    );
  });
}
