// The sentinel's HTTP endpoint against a real group (1 master, 2 replicas, 3 Vigil sentinels): off by default,
// redis_exporter-compatible gauges, the JSON API and explain, a bearer token, failover counters and phase
// histograms moved by a manual and an automatic failover, the SSE stream, and hostile clients that must not
// hurt the sentinel.
import { after, before, describe, test } from 'node:test';
/* eslint-disable @typescript-eslint/no-explicit-any -- JSON from the API under test */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { request } from 'node:http';
import { Harness } from '../harness/index.js';
import { freePort } from '../harness/ports.js';
import type { RedisProc, SentinelProc } from '../harness/index.js';
import { addrOf, call, masterAddr, waitConverged } from './sentinel-helpers.js';

/** TCP ports a process listens on (from /proc: its socket inodes matched against LISTEN entries). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1] !== undefined) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9] ?? '')) continue;
      ports.push(parseInt((f[1] ?? ':0').split(':')[1] ?? '0', 16));
    }
  }
  return [...new Set(ports)].sort((a, b) => a - b);
}

async function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** One sample of a metric with these labels (all given labels must match), NaN when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    const lm = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!lm || lm[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const p of (lm[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) got[p[1] as string] = p[2] as string;
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(lm[4]);
  }
  return NaN;
}

interface Sse {
  events: Array<{ event: string; data: Record<string, unknown> }>;
  close(): void;
}

function sse(port: number, token?: string): Promise<Sse> {
  return new Promise((resolve, reject) => {
    const events: Sse['events'] = [];
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (token) headers.authorization = `Bearer ${token}`;
    const req = request({ host: '127.0.0.1', port, path: '/api/v1/events', headers }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`SSE status ${res.statusCode}`));
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (ev !== undefined && data !== undefined) events.push({ event: ev, data: JSON.parse(data) });
        }
      });
      resolve({ events, close: () => req.destroy() });
    });
    req.on('error', () => undefined);
    req.end();
  });
}

void describe('http - sentinel endpoint on a real group', () => {
  const h = new Harness();
  let master: RedisProc;
  let replicas: RedisProc[];
  const sentinels: SentinelProc[] = [];
  const httpPorts: number[] = [];
  const TOKEN = 's3cret-token';
  let plain: SentinelProc;

  before(async () => {
    master = await h.redis();
    replicas = [];
    for (let i = 0; i < 2; i++)
      replicas.push(await h.redis({ args: ['--replicaof', master.host, String(master.port)] }));
    const base = [
      `sentinel monitor mymaster ${master.host} ${master.port} 2`,
      'sentinel down-after-milliseconds mymaster 1000',
      'sentinel failover-timeout mymaster 6000',
    ];
    for (let i = 0; i < 3; i++) {
      const hp = await freePort();
      httpPorts.push(hp);
      // Sentinel 0 by directive with a token; 1 and 2 by --http.
      const conf = i === 0 ? [...base, `sentinel vigil-http-port ${hp}`, `sentinel vigil-http-token ${TOKEN}`] : base;
      const args = i === 0 ? [] : ['--http', `127.0.0.1:${hp}`];
      sentinels.push(await h.sentinel({ conf: conf.join('\n'), impl: 'vigil', args }));
    }
    // A sentinel without the HTTP directive. It monitors nothing: were it in the group, it could lead the automatic
    // failover below, and its counters are not scraped.
    plain = await h.sentinel({ conf: '', impl: 'vigil' });
    await h.waitFor(
      async () => {
        const r = await get(httpPorts[1]!, '/api/v1/masters');
        const m = (JSON.parse(r.body) as Array<{ replicas: unknown[]; sentinels: unknown[] }>)[0];
        return m !== undefined && m.replicas.length === 2 && m.sentinels.length === 3;
      },
      { name: 'sentinel 1 sees 2 replicas and 3 peers over HTTP', timeoutMs: 20000, intervalMs: 200 },
    );
  });
  after(() => h.cleanup());

  void test('http - off by default: a sentinel without the directive listens only on its RESP port', () => {
    assert.deepEqual(listeningPorts(plain.pid), [plain.port]);
    assert.deepEqual(
      listeningPorts(sentinels[1]!.pid),
      [sentinels[1]!.port, httpPorts[1]!].sort((a, b) => a - b),
    );
  });

  void test('http - token: /metrics and /api need it, the dashboard does not', async () => {
    const p = httpPorts[0]!;
    assert.equal((await get(p, '/metrics')).status, 401);
    assert.equal((await get(p, '/api/v1/masters')).status, 401);
    assert.equal((await get(p, '/metrics', { authorization: 'Bearer wrong' })).status, 401);
    assert.equal((await get(p, '/metrics', { authorization: `Bearer ${TOKEN}` })).status, 200);
    assert.equal((await get(p, `/api/v1/info?token=${TOKEN}`)).status, 200);
    assert.equal((await get(p, '/')).status, 200);
    // The token survives a config rewrite (SENTINEL FLUSHCONFIG) as written.
    await call(sentinels[0]!.port, 'SENTINEL', 'FLUSHCONFIG');
    const conf = readFileSync(sentinels[0]!.confPath, 'utf8');
    assert.match(conf, new RegExp(`^sentinel vigil-http-port ${p}$`, 'm'));
    assert.match(conf, new RegExp(`^sentinel vigil-http-token ${TOKEN}$`, 'm'));
    // --http is for this run only.
    await call(sentinels[1]!.port, 'SENTINEL', 'FLUSHCONFIG');
    assert.doesNotMatch(readFileSync(sentinels[1]!.confPath, 'utf8'), /vigil-http/);
  });

  void test('http - redis_exporter series and the JSON API describe the group', async () => {
    const m = (await get(httpPorts[1]!, '/metrics')).body;
    const ml = { master_name: 'mymaster', master_address: addrOf(master) };
    assert.equal(sample(m, 'redis_sentinel_masters'), 1);
    assert.equal(sample(m, 'redis_sentinel_tilt'), 0);
    assert.equal(sample(m, 'redis_sentinel_master_status', { ...ml, master_status: 'ok' }), 1);
    assert.equal(sample(m, 'redis_sentinel_master_slaves', ml), 2);
    assert.equal(sample(m, 'redis_sentinel_master_ok_slaves', ml), 2);
    assert.equal(sample(m, 'redis_sentinel_master_sentinels', ml), 3);
    assert.equal(sample(m, 'redis_sentinel_master_ok_sentinels', ml), 3);
    assert.equal(sample(m, 'redis_sentinel_master_ckquorum_status', { master_name: 'mymaster' }), 1);
    assert.equal(sample(m, 'redis_sentinel_master_setting_ckquorum', ml), 2);
    assert.equal(sample(m, 'redis_sentinel_master_setting_down_after_milliseconds', ml), 1000);
    assert.equal(sample(m, 'redis_sentinel_master_setting_failover_timeout', ml), 6000);
    assert.equal(sample(m, 'redis_sentinel_master_setting_parallel_syncs', ml), 1);
    assert.ok(sample(m, 'redis_sentinel_master_last_ok_ping_reply_seconds', ml) < 5);
    assert.equal(sample(m, 'redis_sentinel_running_scripts'), 0);
    assert.equal(sample(m, 'redis_sentinel_scripts_queue_length'), 0);
    assert.equal(sample(m, 'vigil_fence_active', ml), 0);
    assert.equal(sample(m, 'vigil_events_total', { type: '+monitor' }), 1);

    const masters = JSON.parse((await get(httpPorts[1]!, '/api/v1/masters')).body) as Array<Record<string, any>>;
    assert.equal(masters[0]!.address, addrOf(master));
    assert.equal(masters[0]!.status, 'ok');
    assert.equal(masters[0]!.explain.failoverPossible, false);
    assert.match(masters[0]!.explain.why.join(' '), /not SDOWN/);
    const reps = JSON.parse((await get(httpPorts[1]!, '/api/v1/replicas?master=mymaster')).body) as Array<
      Record<string, any>
    >;
    assert.deepEqual(reps.map((r) => r.address).sort(), replicas.map(addrOf).sort());
    const sents = JSON.parse((await get(httpPorts[1]!, '/api/v1/sentinels')).body) as unknown[];
    assert.equal(sents.length, 3);
    const events = JSON.parse((await get(httpPorts[1]!, '/api/v1/events')).body) as Array<{ type: string }>;
    assert.ok(events.some((e) => e.type === '+monitor'));
    const ex = JSON.parse((await get(httpPorts[1]!, '/api/v1/explain')).body) as Array<{ quorumReachable: boolean }>;
    assert.equal(ex[0]!.quorumReachable, true);
    assert.equal((await get(httpPorts[1]!, '/api/v1/nope')).status, 404);
  });

  void test('http - hostile clients: bad paths, methods, huge headers, slow and stuck clients', async () => {
    const p = httpPorts[1]!;
    assert.equal((await get(p, '/../../etc/passwd')).status, 404);
    assert.equal((await get(p, '/%2e%2e/%2e%2e/etc/passwd')).status, 404);
    assert.equal((await get(p, '/' + 'a'.repeat(5000))).status, 414);
    assert.equal((await get(p, '/api/v1/events?limit=-1&since=abc')).status, 200);
    const big = await get(p, '/metrics', { 'x-big': 'x'.repeat(20000) }).catch(() => ({ status: 431 }));
    assert.equal(big.status, 431);
    const raw = (bytes: string): Promise<string> =>
      new Promise((resolve) => {
        const s = connect(p, '127.0.0.1');
        let out = '';
        s.on('data', (b) => (out += b.toString()));
        s.on('close', () => resolve(out));
        s.on('error', () => resolve(out));
        s.write(bytes);
        setTimeout(() => s.destroy(), 1500);
      });
    assert.match(await raw('POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello'), /^HTTP\/1\.1 405/);
    assert.match(await raw('GARBAGE\r\n\r\n'), /^HTTP\/1\.1 400/);
    // Slow clients (headers never finished) and SSE readers that never read: the sentinel keeps answering.
    const stuck = [];
    for (let i = 0; i < 20; i++) {
      const s = connect(p, '127.0.0.1');
      s.on('error', () => undefined);
      s.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
      stuck.push(s);
    }
    const readers = [];
    for (let i = 0; i < 5; i++) {
      const s = connect(p, '127.0.0.1');
      s.on('error', () => undefined);
      s.write('GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n');
      s.pause();
      readers.push(s);
    }
    const t0 = Date.now();
    const pong = await call(sentinels[1]!.port, 'PING');
    assert.equal(pong, 'PONG');
    assert.ok(Date.now() - t0 < 1000);
    assert.equal((await get(p, '/api/v1/info')).status, 200);
    for (const s of [...stuck, ...readers]) s.destroy();
  });

  void test('http - a manual then an automatic failover move the counters, fill the histograms, stream phases', async () => {
    const leader = 1;
    const p = httpPorts[leader]!;
    const stream = await sse(p);
    const r = await call(sentinels[leader]!.port, 'SENTINEL', 'FAILOVER', 'mymaster');
    assert.equal(r, 'OK');
    const candidates = replicas.map(addrOf);
    const first = await h.waitFor(
      async () => {
        const a = await masterAddr(sentinels[leader]!);
        return candidates.includes(a) ? a : null;
      },
      { name: 'manual failover switched the master', timeoutMs: 20000, intervalMs: 100 },
    );
    await h.waitFor(
      async () =>
        sample((await get(p, '/metrics')).body, 'vigil_failovers_succeeded_total', { master_name: 'mymaster' }) === 1,
      { name: 'succeeded counter 1', timeoutMs: 20000, intervalMs: 200 },
    );
    const m = (await get(p, '/metrics')).body;
    assert.equal(sample(m, 'vigil_failovers_started_total', { master_name: 'mymaster' }), 1);
    for (const phase of ['election', 'promotion', 'reconfiguration']) {
      assert.equal(
        sample(m, 'vigil_failover_phase_duration_seconds_count', { master_name: 'mymaster', phase }),
        1,
        `phase ${phase} observed once`,
      );
    }
    assert.equal(sample(m, 'vigil_failover_duration_seconds_count', { master_name: 'mymaster' }), 1);
    assert.equal(sample(m, 'vigil_switch_master_total', { master_name: 'mymaster' }), 1);
    const fos = JSON.parse((await get(p, '/api/v1/failovers')).body) as Array<Record<string, any>>;
    const fo = fos.at(-1)!;
    assert.equal(fo.result, 'succeeded');
    assert.equal(fo.leader, true);
    assert.equal(fo.to, first);
    assert.deepEqual(
      fo.phases.map((x: { name: string }) => x.name),
      ['election', 'promotion', 'reconfiguration'],
    );
    for (const ph of fo.phases) assert.ok(ph.end >= ph.start);
    await h.waitFor(() => stream.events.some((e) => e.event === 'failover' && e.data.result === 'succeeded'), {
      name: 'SSE carried the finished failover',
      timeoutMs: 5000,
    });
    assert.ok(stream.events.some((e) => e.event === 'sentinel' && e.data.type === '+promoted-slave'));
    stream.close();

    // Automatic: kill the new master (whichever sentinel leads, the group's succeeded counters reach 2).
    await waitConverged({ h, master, replicas, sentinels, all: [master, ...replicas] }, first);
    const promoted = replicas.find((x) => addrOf(x) === first)!;
    await promoted.kill('SIGKILL');
    const second = await h.waitFor(
      async () => {
        const a = await masterAddr(sentinels[0]!).catch(() => '');
        return a !== '' && a !== first ? a : null;
      },
      { name: 'automatic failover', timeoutMs: 30000, intervalMs: 100 },
    );
    assert.ok(second.length > 0);
    const phaseCount = (all: string[], phase: string): number =>
      all.reduce(
        (n, t) =>
          n + (sample(t, 'vigil_failover_phase_duration_seconds_count', { master_name: 'mymaster', phase }) || 0),
        0,
      );
    // Counted once the second leader is done: the leader and the peer whose SDOWN made the quorum timed their
    // detection, the leader its ODOWN.
    let last = '';
    const texts = await h
      .waitFor(
        async () => {
          const all = await Promise.all(
            httpPorts.map(
              async (hp, i) => (await get(hp, '/metrics', i === 0 ? { authorization: `Bearer ${TOKEN}` } : {})).body,
            ),
          );
          const led = all
            .map((t) => sample(t, 'vigil_failovers_succeeded_total', { master_name: 'mymaster' }) || 0)
            .reduce((x, y) => x + y, 0);
          last = `succeeded ${led}, detection ${phaseCount(all, 'detection')}, odown ${phaseCount(all, 'odown')}`;
          return led >= 2 && phaseCount(all, 'detection') >= 2 && phaseCount(all, 'odown') >= 1 ? all : null;
        },
        {
          name: 'a second sentinel led a failover; detection and ODOWN timed',
          timeoutMs: 30000,
          intervalMs: 300,
        },
      )
      .catch((e: unknown) => {
        throw new Error(`${(e as Error).message.split('\n')[0] ?? ''} (${last})`);
      });
    for (const t of texts) assert.ok(sample(t, 'vigil_switch_master_total', { master_name: 'mymaster' }) >= 1);
    const auto = texts
      .map((t) => sample(t, 'vigil_failovers_started_total', { master_name: 'mymaster' }) || 0)
      .reduce((x, y) => x + y, 0);
    assert.ok(auto >= 2, `two failovers started in the group (${auto})`);
  });
});
