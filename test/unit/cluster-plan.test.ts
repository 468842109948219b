// The pure parts of `vigil up`: port layout, config text, quorum, connection instructions, readiness gaps and the
// failover tracker.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  planCluster,
  quorumFor,
  redisConf,
  sentinelConf,
  checkOptions,
  portCount,
  type ClusterOptions,
} from '../../src/cluster/plan.js';
import { renderConnectionHelp, renderTable, type ClusterSummary } from '../../src/cluster/render.js';
import { readinessGaps, type SentinelView } from '../../src/cluster/inspect.js';
import { FailoverTracker } from '../../src/cluster/timeline.js';

const opts: ClusterOptions = {
  dir: '/tmp/v',
  basePort: 7000,
  replicas: 2,
  sentinels: 3,
  masterName: 'mymaster',
  downAfterMs: 5000,
  failoverTimeoutMs: 10000,
  impl: 'redis',
  proxy: true,
};

void describe('cluster plan', () => {
  void test('cluster - quorum is the majority of the sentinels', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map(quorumFor), [1, 2, 2, 3, 3]);
  });

  void test('cluster - ports are consecutive: master, replicas, sentinels, proxy, proxy http', () => {
    const p = planCluster(opts);
    assert.equal(p.master.port, 7000);
    assert.deepEqual(
      p.replicas.map((r) => r.port),
      [7001, 7002],
    );
    assert.deepEqual(
      p.sentinels.map((r) => r.port),
      [7003, 7004, 7005],
    );
    assert.equal(p.proxy?.port, 7006);
    assert.equal(p.proxyHttpPort, 7007);
    // + one HTTP port per sentinel (7008-7010) and the dashboard's (7011).
    assert.deepEqual(p.sentinelHttpPorts, [7008, 7009, 7010]);
    assert.equal(p.dashboardPort, 7011);
    assert.equal(portCount(opts), 12);
    assert.equal(portCount({ ...opts, proxy: false }), 10);
    assert.equal(p.master.dir, '/tmp/v/redis-7000');
    assert.equal(p.sentinels[0]?.confPath, '/tmp/v/sentinel-7003/sentinel.conf');
  });

  void test('cluster - redis.conf binds loopback, announces 127.0.0.1 and replicates from the master', () => {
    const p = planCluster(opts);
    const master = redisConf(p.master, undefined);
    assert.match(master, /^port 7000$/m);
    assert.match(master, /^bind 127\.0\.0\.1$/m);
    assert.match(master, /^replica-announce-ip 127\.0\.0\.1$/m);
    assert.doesNotMatch(master, /replicaof/);
    const replica = redisConf(p.replicas[0] as (typeof p.replicas)[0], p.master);
    assert.match(replica, /^replicaof 127\.0\.0\.1 7000$/m);
  });

  void test('cluster - sentinel.conf monitors the master with the majority quorum and the timings', () => {
    const p = planCluster(opts);
    const c = sentinelConf(p.sentinels[1] as (typeof p.sentinels)[0], p);
    assert.match(c, /^port 7004$/m);
    assert.match(c, /^sentinel monitor mymaster 127\.0\.0\.1 7000 2$/m);
    assert.match(c, /^sentinel down-after-milliseconds mymaster 5000$/m);
    assert.match(c, /^sentinel failover-timeout mymaster 10000$/m);
    const quoted = sentinelConf(
      planCluster({ ...opts, dir: '/tmp/my dir' }).sentinels[0] as (typeof p.sentinels)[0],
      p,
    );
    assert.match(quoted, /^dir "\/tmp\/my dir\/sentinel-7003"$/m);
  });

  void test('cluster - bad options are reported in one line', () => {
    assert.equal(checkOptions(opts), undefined);
    assert.match(checkOptions({ ...opts, sentinels: 0 }) ?? '', /--sentinels/);
    assert.match(checkOptions({ ...opts, masterName: 'a b' }) ?? '', /--master-name/);
    assert.match(checkOptions({ ...opts, basePort: 65530 }) ?? '', /--base-port/);
    assert.match(checkOptions({ ...opts, downAfterMs: 10 }) ?? '', /--down-after/);
  });
});

void describe('cluster render', () => {
  const s: ClusterSummary = {
    masterName: 'mymaster',
    master: '127.0.0.1:7000',
    replicas: ['127.0.0.1:7001'],
    sentinels: ['127.0.0.1:7003', '127.0.0.1:7004', '127.0.0.1:7005'],
    proxy: '127.0.0.1:7006',
    dir: '/tmp/v',
  };

  void test("cluster - connection help uses each client's real keys", () => {
    const t = renderConnectionHelp(s);
    // Centrifugo v6: redis+sentinel URL, first sentinel as host, the others as addr parameters.
    assert.ok(
      t.includes(
        'redis+sentinel://127.0.0.1:7003?sentinel_master_name=mymaster&addr=127.0.0.1:7004&addr=127.0.0.1:7005',
      ),
    );
    assert.ok(t.includes('"sentinel_address": ["127.0.0.1:7003,127.0.0.1:7004,127.0.0.1:7005"]'));
    // Centrifugo v3-v5 keys.
    assert.ok(t.includes('"redis_sentinel_address": "127.0.0.1:7003,127.0.0.1:7004,127.0.0.1:7005"'));
    assert.ok(t.includes('"redis_sentinel_master_name": "mymaster"'));
    // jambonz: the data-node vs sentinel password trap is spelled out.
    assert.match(t, /^ {2}JAMBONES_REDIS_SENTINELS=127\.0\.0\.1:7003,127\.0\.0\.1:7004,127\.0\.0\.1:7005$/m);
    assert.match(t, /^ {2}JAMBONES_REDIS_SENTINEL_MASTER_NAME=mymaster$/m);
    assert.match(t, /JAMBONES_REDIS_SENTINEL_PASSWORD is the \*Redis data node\* password/);
    assert.match(t, /JAMBONES_REDIS_SENTINEL_SERVER_PASSWORD/);
    assert.ok(t.includes("sentinels: [{ host: '127.0.0.1', port: 7003 }"));
    assert.match(t, /redis-cli -p 7006 PING/);
  });

  void test('cluster - the table aligns columns and shows PIDs when known', () => {
    const t = renderTable([
      { role: 'master', address: '127.0.0.1:7000', state: 'ok', pid: 12 },
      { role: 'sentinel', address: '127.0.0.1:7003', state: 'down', pid: undefined },
    ]);
    assert.equal(
      t,
      [
        'ROLE      ADDRESS         PID  STATE',
        'master    127.0.0.1:7000   12  ok',
        'sentinel  127.0.0.1:7003    -  down',
      ].join('\n'),
    );
  });
});

void describe('cluster readiness and failover tracking', () => {
  const rec = (ip: string, port: number, extra: Record<string, string>): Record<string, string> => ({
    ip,
    port: String(port),
    ...extra,
  });
  const view = (over: Partial<SentinelView> = {}): SentinelView => ({
    sentinel: '127.0.0.1:7003',
    master: rec('127.0.0.1', 7000, { flags: 'master' }),
    replicas: [rec('127.0.0.1', 7001, { flags: 'slave', 'master-link-status': 'ok' })],
    sentinels: [rec('127.0.0.1', 7004, { flags: 'sentinel' }), rec('127.0.0.1', 7005, { flags: 'sentinel' })],
    ...over,
  });
  const expect = {
    master: '127.0.0.1:7000',
    replicas: ['127.0.0.1:7001'],
    otherSentinels: ['127.0.0.1:7004', '127.0.0.1:7005'],
  };

  void test('cluster - a sentinel that sees everything has no readiness gaps', () => {
    assert.deepEqual(readinessGaps(view(), expect), []);
  });

  void test('cluster - missing peers, unsynced or down replicas are gaps', () => {
    assert.deepEqual(readinessGaps(view({ sentinels: [rec('127.0.0.1', 7004, { flags: 'sentinel' })] }), expect), [
      'other sentinels 1/2',
    ]);
    assert.deepEqual(
      readinessGaps(
        view({ replicas: [rec('127.0.0.1', 7001, { flags: 'slave', 'master-link-status': 'err' })] }),
        expect,
      ),
      ['replicas 0/1'],
    );
    assert.deepEqual(
      readinessGaps(
        view({
          sentinels: [
            rec('127.0.0.1', 7004, { flags: 'sentinel,s_down' }),
            rec('127.0.0.1', 7005, { flags: 'sentinel' }),
          ],
        }),
        expect,
      ),
      ['other sentinels 1/2'],
    );
    assert.deepEqual(
      readinessGaps(view({ master: rec('127.0.0.1', 7000, { flags: 'master,disconnected' }) }), expect),
      ['master flags master,disconnected'],
    );
  });

  void test("cluster - the tracker follows switches per sentinel, the leader's end, and aborts", () => {
    const t = new FailoverTracker('mymaster', '127.0.0.1:7000');
    const ev = (sentinel: string, event: string, payload: string, elapsedMs: number) => ({
      sentinel,
      event,
      payload,
      elapsedMs,
    });
    t.observe(ev('a', '+switch-master', 'other 127.0.0.1 9 127.0.0.1 10', 1));
    assert.equal(t.newMaster, undefined, 'another master name is ignored');
    t.observe(ev('a', '+switch-master', 'mymaster 127.0.0.1 7000 127.0.0.1 7001', 50));
    assert.equal(t.newMaster, '127.0.0.1:7001');
    assert.equal(t.allSwitched(['a', 'b']), false);
    t.observe(ev('b', '+failover-end', 'master mymaster 127.0.0.1 7000', 900));
    t.observe(ev('b', '+switch-master', 'mymaster 127.0.0.1 7000 127.0.0.1 7001', 901));
    assert.equal(t.allSwitched(['a', 'b']), true);
    assert.equal(t.failoverEndAtMs, 900);
    assert.equal(t.firstOf.get('+switch-master'), 1);
    const u = new FailoverTracker('mymaster', '127.0.0.1:7000');
    u.observe(ev('a', '-failover-abort-no-good-slave', 'master mymaster 127.0.0.1 7000', 5));
    assert.equal(u.abort?.event, '-failover-abort-no-good-slave');
  });
});
