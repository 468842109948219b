import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseEventSubject,
  parseSwitchMaster,
  parseSentinelList,
  parseHostPort,
  masterReportFromRecord,
  recordFromFlat,
} from '../../src/proxy/events.js';
import { renderPrometheus, isReady, type ProxyStats } from '../../src/proxy/metrics.js';
import { parseProxyArgs } from '../../src/cli/proxy.js';

void describe('proxy parsing', () => {
  void test('proxy parse - event subjects for master, replica and sentinel payloads', () => {
    assert.deepEqual(parseEventSubject('master mymaster 127.0.0.1 47380 #quorum 3/2'), {
      masterName: 'mymaster',
      master: { host: '127.0.0.1', port: 47380 },
    });
    assert.deepEqual(parseEventSubject('slave 127.0.0.1:47379 127.0.0.1 47379 @ mymaster 127.0.0.1 47380'), {
      masterName: 'mymaster',
      master: { host: '127.0.0.1', port: 47380 },
      replica: { host: '127.0.0.1', port: 47379 },
    });
    assert.deepEqual(
      parseEventSubject('sentinel 0cc843db8ce7f2bfea1532380426780a4fc0bb14 127.0.0.1 47480 @ mymaster 127.0.0.1 47380'),
      { masterName: 'mymaster', master: { host: '127.0.0.1', port: 47380 } },
    );
    assert.equal(parseEventSubject('master mymaster 127.0.0.1 notaport'), null);
    assert.equal(parseEventSubject('slave x y z'), null);
    assert.equal(parseEventSubject(''), null);
  });

  void test('proxy parse - +switch-master payload', () => {
    assert.deepEqual(parseSwitchMaster('mymaster 127.0.0.1 47379 127.0.0.1 47380'), {
      masterName: 'mymaster',
      from: { host: '127.0.0.1', port: 47379 },
      to: { host: '127.0.0.1', port: 47380 },
    });
    assert.equal(parseSwitchMaster('mymaster 127.0.0.1 47379'), null);
  });

  void test('proxy parse - sentinel lists in the JAMBONES_REDIS_SENTINELS form and IPv6', () => {
    assert.deepEqual(parseSentinelList('127.0.0.1:26379, 127.0.0.1:26380,'), [
      { host: '127.0.0.1', port: 26379 },
      { host: '127.0.0.1', port: 26380 },
    ]);
    assert.deepEqual(parseHostPort('[::1]:6379'), { host: '::1', port: 6379 });
    assert.throws(() => parseSentinelList(''), /empty sentinel list/);
    assert.throws(() => parseHostPort('127.0.0.1'), /expected host:port/);
    assert.throws(() => parseHostPort('127.0.0.1:99999'), /bad port/);
  });

  void test('proxy parse - SENTINEL MASTER record with failover flags', () => {
    const r = masterReportFromRecord(
      recordFromFlat([
        'name',
        'm',
        'ip',
        '127.0.0.1',
        'port',
        '7000',
        'flags',
        'master,failover_in_progress,force_failover',
        'config-epoch',
        '4',
      ]),
    );
    assert.deepEqual(r, {
      addr: { host: '127.0.0.1', port: 7000 },
      configEpoch: 4,
      odown: false,
      failoverInProgress: true,
    });
    assert.equal(masterReportFromRecord(recordFromFlat(['name', 'm'])), null);
  });

  void test('proxy parse - CLI flags and config file (flags win, masters from both)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-proxy-cfg-'));
    try {
      const file = join(dir, 'proxy.json');
      writeFileSync(
        file,
        JSON.stringify({
          sentinels: ['127.0.0.1:1', '127.0.0.1:2'],
          maxHoldMs: 1234,
          http: '127.0.0.1:9000',
          masters: [{ name: 'b', listen: '127.0.0.1:6001', quorum: 1 }],
        }),
      );
      const o = parseProxyArgs([
        '--config',
        file,
        '--master-name',
        'a',
        '--listen',
        '127.0.0.1:6000',
        '--max-hold-ms',
        '50',
      ]);
      assert.equal(o.sentinels, '127.0.0.1:1,127.0.0.1:2');
      assert.equal(o.maxHoldMs, 50);
      assert.equal(o.http, '127.0.0.1:9000');
      assert.deepEqual(
        o.masters.map((m) => m.name),
        ['a', 'b'],
      );
      assert.equal(o.masters[1]?.quorum, 1);
      assert.throws(() => parseProxyArgs(['--master-name', 'a']), /go together/);
      assert.throws(() => parseProxyArgs(['--sentinels', 'x:1']), /nothing to proxy/);
      assert.throws(() => parseProxyArgs(['--config', join(dir, 'missing.json')]), /cannot read config/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void test('proxy metrics - Prometheus text and readiness', async () => {
    const stats: ProxyStats = {
      startedAt: 0,
      masters: [
        {
          masterName: 'my"m',
          listen: { host: '127.0.0.1', port: 6000 },
          router: {
            masterName: 'my"m',
            route: { host: '127.0.0.1', port: 7000, epoch: 3, provisional: false },
            confirmedEpoch: 3,
            gateOpen: true,
            gateReason: 'routing',
            gateClosedSinceMs: null,
            candidate: null,
            sentinelsUp: 1,
            sentinelsTotal: 1,
            need: 1,
            switches: 2,
            lastSwitchAt: 1000,
            lastSwitchReason: 'x',
            sentinels: [{ id: '127.0.0.1:26379', cmdUp: true, pubsubUp: false, lastError: null }],
          },
          plane: {
            accepted: 5,
            overLimit: 0,
            active: 1,
            held: 0,
            frozen: 0,
            bytesFromClients: 10,
            bytesToClients: 20,
            forwarding: 'native',
            pumpThreads: 2,
            released: 2,
            holdTotalMs: 1500,
            holdMaxMs: 1000,
            refused: 1,
            fenced: 1,
            repointed: 3,
            upstreamConnectFailures: 0,
            pumpDials: 4,
            muxed: 0,
            pinned: 0,
          },
        },
      ],
    };
    const text = await renderPrometheus(stats, 3000);
    assert.match(text, /^vigil_proxy_connections_accepted_total\{master="my\\"m"\} 5$/m);
    assert.match(text, /^vigil_proxy_switches_total\{master="my\\"m"\} 1$/m);
    assert.match(text, /^vigil_proxy_connections_repointed_total\{master="my\\"m"\} 3$/m);
    assert.match(text, /^vigil_proxy_pump_dials_total\{master="my\\"m"\} 4$/m);
    assert.match(text, /^vigil_proxy_hold_seconds_total\{master="my\\"m"\} 1.5$/m);
    assert.match(text, /^vigil_proxy_seconds_since_switch\{master="my\\"m"\} 2$/m);
    assert.match(text, /^vigil_proxy_sentinel_link_up\{master="my\\"m",sentinel="127.0.0.1:26379",link="pubsub"\} 0$/m);
    assert.match(text, /^# TYPE vigil_proxy_gate_open gauge$/m);
    assert.equal(isReady(stats), true);
    stats.masters[0]!.router.gateOpen = false;
    assert.equal(isReady(stats), false);
  });
});
