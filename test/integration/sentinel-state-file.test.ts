// `sentinel state-config-file <path>`: sentinel.conf is read-only input (mode 0444 here) and is never written —
// its bytes, inode, size and mtime stay the same through start-up (myid generated), discovery, SENTINEL SET,
// SENTINEL CONFIG SET (loglevel included), MONITOR/REMOVE, FLUSHCONFIG, a failover and a restart — while all of
// that lands in the state file and is loaded back after sentinel.conf on restart. The test runs as root here,
// where mode bits do not stop a write, hence the byte/inode/mtime checks rather than relying on EACCES.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Harness, missingBinaries, readText } from '../harness/index.js';
import {
  addrOf,
  call,
  failoverAccepted,
  masterAddr,
  record,
  startCluster,
  waitDiscovered,
} from './sentinel-helpers.js';

function fingerprint(path: string): string {
  const st = statSync(path);
  return JSON.stringify({ ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, mode: st.mode & 0o777 });
}

void describe(
  'sentinel - state-config-file keeps sentinel.conf read-only',
  { skip: missingBinaries('redis-server') },
  () => {
    const h = new Harness();
    after(() => h.cleanup());

    void test('state file - every change goes to the state file; sentinel.conf is never written', async () => {
      const stateDir = h.tempDir('vigil-state-');
      const statePath = join(stateDir, 'sentinel-state.conf');
      const cl = await startCluster(h, {
        impls: ['vigil'],
        replicas: 1,
        quorum: 1,
        extraConf: `sentinel state-config-file ${statePath}\nloglevel notice`,
      });
      const s = cl.sentinels[0]!;
      const mainBytes = readFileSync(s.confPath);
      chmodSync(s.confPath, 0o444);
      const fp = fingerprint(s.confPath);
      const unchanged = (when: string): void => {
        assert.equal(fingerprint(s.confPath), fp, `sentinel.conf untouched (${when})`);
        assert.ok(readFileSync(s.confPath).equals(mainBytes), `sentinel.conf bytes unchanged (${when})`);
        // No temp file of an atomic replace next to it either.
        const strays = readdirSync(dirname(s.confPath)).filter((n) => n.startsWith(`${basename(s.confPath)}.`));
        assert.deepEqual(strays, [], `no temp files beside sentinel.conf (${when})`);
      };

      await waitDiscovered(cl);
      const myid = String(await call(s.port, 'SENTINEL', 'MYID'));
      await h.waitFor(() => existsSync(statePath) && readText(statePath).includes(`sentinel myid ${myid}`), {
        name: 'myid in the state file',
        timeoutMs: 5000,
      });
      await h.waitFor(() => readText(statePath).includes(`sentinel known-replica mymaster ${cl.replicas[0]!.host}`), {
        name: 'known replica in the state file',
        timeoutMs: 10000,
      });
      unchanged('after start-up and discovery');

      assert.equal(await call(s.port, 'SENTINEL', 'SET', 'mymaster', 'down-after-milliseconds', '1500'), 'OK');
      assert.equal(await call(s.port, 'SENTINEL', 'CONFIG', 'SET', 'loglevel', 'verbose', 'announce-port', '0'), 'OK');
      const other = await h.redis();
      assert.equal(await call(s.port, 'SENTINEL', 'MONITOR', 'other', other.host, String(other.port), '1'), 'OK');
      await h.waitFor(() => readText(statePath).includes('sentinel monitor other '), {
        name: 'monitor in the state file',
        timeoutMs: 5000,
      });
      assert.equal(await call(s.port, 'SENTINEL', 'REMOVE', 'other'), 'OK');
      assert.equal(await call(s.port, 'SENTINEL', 'FLUSHCONFIG'), 'OK');
      await h.waitFor(() => !readText(statePath).includes('sentinel monitor other '), {
        name: 'remove in the state file',
        timeoutMs: 5000,
      });
      const st = readText(statePath);
      assert.match(st, /^sentinel down-after-milliseconds mymaster 1500$/m);
      assert.match(st, /^loglevel verbose$/m);
      // Only state: nothing of sentinel.conf's other lines (port, dir, users, the directive itself).
      assert.doesNotMatch(st, /^(port|dir|user|bind|sentinel state-config-file|sentinel deny-scripts-reconfig)\b/m);
      unchanged('after SET, CONFIG SET, MONITOR, REMOVE, FLUSHCONFIG');

      await failoverAccepted(h, s.port);
      const promoted = addrOf(cl.replicas[0]!);
      await h.waitFor(async () => (await masterAddr(s)) === promoted, { name: 'failover', timeoutMs: 20000 });
      await h.waitFor(
        () =>
          readText(statePath).includes(`sentinel monitor mymaster ${cl.replicas[0]!.host} ${cl.replicas[0]!.port} 1`),
        {
          name: 'new master in the state file',
          timeoutMs: 10000,
        },
      );
      assert.match(readText(statePath), /^sentinel config-epoch mymaster [1-9]/m);
      unchanged('after a failover');

      // Restart: sentinel.conf still names the old master, the state file wins for the sentinel state.
      await s.restart();
      assert.equal(String(await call(s.port, 'SENTINEL', 'MYID')), myid);
      assert.equal(await masterAddr(s), promoted);
      assert.equal(record(await call(s.port, 'SENTINEL', 'MASTER', 'mymaster'))['down-after-milliseconds'], '1500');
      assert.deepEqual(await call(s.port, 'SENTINEL', 'CONFIG', 'GET', 'loglevel'), ['loglevel', 'verbose']);
      assert.equal(record(await call(s.port, 'SENTINEL', 'MASTER', 'other')).name, undefined);
      unchanged('after a restart');
    });
  },
);
