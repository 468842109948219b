// Valkey 8/9 and Redis 7.2 names through a real Vigil sentinel process: SENTINEL PRIMARY / PRIMARIES /
// GET-PRIMARY-ADDR-BY-NAME, CONFIG SET with several pairs and loglevel (applied to the log and written to the
// file), `sentinel primary-reboot-down-after-period` read from the file and rewritten under Redis's name, and
// FAILOVER <name> COORDINATED running the coordinated manual failover.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
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

void describe('sentinel - Valkey and Redis 7.2 names', { skip: missingBinaries('redis-server') }, () => {
  const h = new Harness();
  after(() => h.cleanup());

  void test('valkey names - PRIMARY, CONFIG SET loglevel + pairs, FAILOVER COORDINATED', async () => {
    const cl = await startCluster(h, {
      impls: ['vigil'],
      replicas: 1,
      quorum: 1,
      extraConf: 'sentinel primary-reboot-down-after-period mymaster 5000',
    });
    const s = cl.sentinels[0]!;
    await waitDiscovered(cl);

    const viaPrimary = record(await call(s.port, 'SENTINEL', 'PRIMARY', 'mymaster'));
    assert.equal(viaPrimary.name, 'mymaster');
    assert.equal(`${viaPrimary.ip}:${viaPrimary.port}`, addrOf(cl.master));
    const primaries = await call(s.port, 'SENTINEL', 'PRIMARIES');
    assert.ok(Array.isArray(primaries) && primaries.length === 1);
    assert.deepEqual(await call(s.port, 'SENTINEL', 'GET-PRIMARY-ADDR-BY-NAME', 'mymaster'), [
      cl.master.host,
      String(cl.master.port),
    ]);

    // Redis 7.2: several pairs in one CONFIG SET, loglevel among them; applied at once and written to the file.
    assert.equal(
      await call(s.port, 'SENTINEL', 'CONFIG', 'SET', 'loglevel', 'debug', 'announce-hostnames', 'no'),
      'OK',
    );
    assert.deepEqual(await call(s.port, 'SENTINEL', 'CONFIG', 'GET', 'loglevel'), ['loglevel', 'debug']);
    await h.waitFor(() => /^loglevel debug$/m.test(readText(s.confPath)), {
      name: 'loglevel in the file',
      timeoutMs: 5000,
    });
    const conf = readText(s.confPath);
    assert.match(conf, /^sentinel master-reboot-down-after-period mymaster 5000$/m);
    assert.doesNotMatch(conf, /primary-reboot/);
    // Debug lines ('.' level char) appear in the log now.
    await h.waitFor(() => /:X .{24} \. /.test(s.logTail()), { name: 'a debug log line', timeoutMs: 5000 });

    // Back to notice (a single pair, Redis 7.0's form), so the log tail below is not all debug lines.
    assert.equal(await call(s.port, 'SENTINEL', 'CONFIG', 'SET', 'loglevel', 'notice'), 'OK');
    await h.waitFor(() => /^loglevel notice$/m.test(readText(s.confPath)), {
      name: 'loglevel notice in the file',
      timeoutMs: 5000,
    });

    const old = addrOf(cl.master);
    // Listed is not yet promotable: the replica's link opens and its first INFO arrives a moment later (asking
    // before then is -NOGOODSLAVE from Redis too).
    await h.waitFor(
      async () => {
        const reps = await call(s.port, 'SENTINEL', 'REPLICAS', 'mymaster');
        return (
          Array.isArray(reps) && reps.some((r) => record(r).flags === 'slave' && record(r)['info-refresh'] !== '0')
        );
      },
      { name: 'a connected replica with INFO', timeoutMs: 10000 },
    );
    await failoverAccepted(h, s.port, 'mymaster', 'COORDINATED');
    await h.waitFor(async () => (await masterAddr(s)) === addrOf(cl.replicas[0]!), {
      name: 'failover to the replica',
      timeoutMs: 20000,
    });
    assert.notEqual(await masterAddr(s), old);
    assert.match(s.logTail(), /Manual failover: writes paused/);
    assert.match(
      String(await call(s.port, 'SENTINEL', 'FAILOVER', 'mymaster', 'soon')),
      /wrong number of arguments for 'sentinel\|failover'/,
    );
  });
});
