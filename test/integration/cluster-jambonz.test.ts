// jambonz against `vigil up`: @jambonz/realtimedb-helpers configured only from the environment variables that
// `vigil up` prints on stdout (JAMBONES_REDIS_SENTINELS, JAMBONES_REDIS_SENTINEL_MASTER_NAME), through a kill -9
// of the master.
// The helpers read the environment when the module loads, so the variables are set before the import.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { waitFor, RespClient } from '../harness/index.js';
import type { ClusterSummary } from '../../src/cluster/render.js';
import { readState } from '../../src/cluster/state.js';
import {
  TEST_DOWN_AFTER_MS,
  startUp,
  cleanup,
  runVigil,
  recordedPids,
  waitAllGone,
  masterPid,
  missingClusterBinaries,
  type UpProcess,
} from './cluster-helpers.js';

const skip = missingClusterBinaries();

interface JambonzHelpers {
  client: { quit(): Promise<unknown>; disconnect(): void; on(ev: string, cb: () => void): void };
  addKey(key: string, value: string, expires?: number): Promise<string | undefined>;
  retrieveKey(key: string): Promise<string | null | undefined>;
  incrKey(key: string, expires?: number): Promise<number | undefined>;
  createHash(key: string, obj: Record<string, string>, expires?: number): Promise<unknown>;
  retrieveHash(key: string): Promise<Record<string, string> | undefined>;
}

/** The `KEY=value` lines of the jambonz section that `vigil up` printed, exactly as a user would copy them. */
function jambonzEnv(printed: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of printed.split('\n')) {
    const m = /^\s*(JAMBONES_[A-Z_]+)=(\S+)$/.exec(line);
    if (m) env[m[1] as string] = m[2] as string;
  }
  return env;
}

void describe('cluster - jambonz realtimedb-helpers through vigil up', { skip, timeout: 240_000 }, () => {
  let up: UpProcess | undefined;
  let s: ClusterSummary;
  let jambonz: JambonzHelpers | undefined;

  let printed: Record<string, string>;

  before(async () => {
    // Human mode: the variables come from what `vigil up` prints; the addresses for checks from its state file.
    up = startUp(['--no-proxy', '--down-after', String(TEST_DOWN_AFTER_MS)]);
    const u = up;
    await waitFor(() => u.stdout().includes('Running. Stop with Ctrl-C'), {
      name: 'vigil up to print its connection settings',
      timeoutMs: 180_000,
      intervalMs: 100,
      context: () => `stdout:\n${u.stdout()}\nstderr:\n${u.stderr()}`,
    });
    const st = readState(u.dir)?.summary;
    assert.ok(st, 'the state file has the summary');
    s = st;
    printed = jambonzEnv(u.stdout());
  });

  after(async () => {
    jambonz?.client.disconnect();
    const forced = await cleanup(up);
    assert.deepEqual(forced, [], 'cleanup had to force-kill processes');
  });

  void test('cluster - the printed jambonz variables are the sentinel list and the master name', () => {
    assert.deepEqual(printed, {
      JAMBONES_REDIS_SENTINELS: s.sentinels.join(','),
      JAMBONES_REDIS_SENTINEL_MASTER_NAME: s.masterName,
    });
  });

  void test('cluster - jambonz writes and reads, and keeps writing after kill -9 of the master', async () => {
    assert.ok(up);
    for (const k of Object.keys(process.env)) if (k.startsWith('JAMBONES_')) delete process.env[k];
    Object.assign(process.env, printed);
    const require = createRequire(import.meta.url);
    const factory = require('@jambonz/realtimedb-helpers') as (opts: object, logger?: unknown) => JambonzHelpers;
    const quiet = { info() {}, debug() {}, error() {}, warn() {} };
    jambonz = factory({}, quiet);
    const j = jambonz;

    assert.equal(await j.addKey('call:1', 'ringing', 60), 'OK');
    assert.equal(await j.retrieveKey('call:1'), 'ringing');
    assert.equal(await j.incrKey('calls'), 1); // MULTI/EXEC
    await j.createHash('conf:1', { state: 'up' });
    assert.deepEqual(await j.retrieveHash('conf:1'), { state: 'up' });

    const old = s.master;
    process.kill(masterPid(up.dir, old), 'SIGKILL');
    // addKey swallows errors (returns undefined); retry until it reports OK on the new master.
    await waitFor(async () => (await j.addKey('call:2', 'answered', 60)) === 'OK', {
      name: 'jambonz addKey to succeed after the failover',
      timeoutMs: 90_000,
      intervalMs: 250,
    });
    assert.equal(await j.retrieveKey('call:2'), 'answered');
    assert.equal(await j.retrieveKey('call:1'), 'ringing', 'data written before the kill survived');
    assert.equal(await j.incrKey('calls'), 2);

    // And it really is the new master that holds it.
    const sentinel = await RespClient.connect(Number((s.sentinels[0] as string).split(':')[1]));
    const addr = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', s.masterName)) as string[];
    sentinel.close();
    assert.notEqual(`${addr[0]}:${addr[1]}`, old);
    const direct = await RespClient.connect(Number(addr[1]));
    assert.equal(await direct.call('GET', 'call:2'), 'answered');
    direct.close();
  });

  void test('cluster - down afterwards leaves nothing running', async () => {
    assert.ok(up);
    jambonz?.client.disconnect();
    const pids = recordedPids(up.dir);
    const r = runVigil(['down', '--dir', up.dir]);
    assert.equal(r.code, 0, r.stderr);
    await up.exited;
    await waitAllGone([up.child.pid as number, ...pids], 'after vigil down');
  });
});
