// TLS like Redis 7.0 (issue 16): a group whose every node speaks only TLS (`port 0`, `tls-port`,
// `tls-replication yes`), monitored by Vigil's sentinels, by a mix with real redis-sentinel, and used by real
// clients over TLS (redis-cli --tls, ioredis with sentinelTLS, redis-py with ssl). Also: a handshake failure
// (plain text on the TLS port, no client certificate) costs that connection only; SIGHUP reloads the
// certificates. Everything on 127.0.0.1; every process killed by PID by the harness.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Harness, REPO_ROOT, freePort, missingBinaries, requireBinary } from '../harness/index.js';
import { SYSTEM_PYTHON, runPython, runTool } from '../harness/tools.js';
import { vigilSentinelCommand, type OwnedProcess } from '../harness/harness.js';
import { issue, makeCerts, tlsCall, tlsCalls, tlsDirectives, type TlsFiles } from '../harness/tls.js';
import type { Reply } from '../../src/resp/types.js';

const skip = missingBinaries('redis-server', 'redis-sentinel', 'redis-cli', 'openssl', SYSTEM_PYTHON);

interface Node {
  port: number;
  proc: OwnedProcess;
}

function rec(r: Reply): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(r)) for (let i = 0; i + 1 < r.length; i += 2) out[String(r[i])] = String(r[i + 1]);
  return out;
}

async function pingsOverTls(port: number, f: TlsFiles): Promise<boolean> {
  try {
    return (await tlsCall(port, f, 'PING')) === 'PONG';
  } catch {
    return false;
  }
}

void describe('sentinel - TLS (port 0, tls-port, tls-replication)', { skip }, () => {
  const h = new Harness();
  let f: TlsFiles;
  let master: Node;
  let replicas: Node[];
  after(() => h.cleanup());

  async function redisTls(extra: string[] = []): Promise<Node> {
    const port = await freePort();
    const dir = h.tempDir('vigil-tls-redis-');
    const args = [
      '--port',
      '0',
      '--tls-port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'no',
      '--tls-cert-file',
      f.cert,
      '--tls-key-file',
      f.key,
      '--tls-ca-cert-file',
      f.ca,
      '--tls-replication',
      'yes',
      ...extra,
    ];
    const proc = await h.spawn(requireBinary('redis-server'), args, {
      name: `redis-server-tls:${port}`,
      readyWhen: () => pingsOverTls(port, f),
      readyTimeoutMs: 15000,
    });
    return { port, proc };
  }

  async function sentinelTls(impl: 'vigil' | 'redis', extraConf: string[] = []): Promise<Node> {
    const port = await freePort();
    const dir = h.tempDir(`vigil-tls-sentinel-${impl}-`);
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        'port 0',
        `tls-port ${port}`,
        'bind 127.0.0.1',
        ...tlsDirectives(f),
        'tls-replication yes',
        `sentinel monitor mymaster 127.0.0.1 ${master.port} 2`,
        'sentinel down-after-milliseconds mymaster 1000',
        'sentinel failover-timeout mymaster 6000',
        ...extraConf,
        '',
      ].join('\n'),
    );
    let cmd: string;
    let args: string[];
    if (impl === 'redis') {
      cmd = requireBinary('redis-sentinel');
      args = [conf];
    } else {
      ({ cmd, args } = vigilSentinelCommand());
      args = [...args, conf];
    }
    const proc = await h.spawn(cmd, args, {
      name: `${impl}-sentinel-tls:${port}`,
      cwd: dir,
      readyWhen: () => pingsOverTls(port, f),
      readyTimeoutMs: 20000,
    });
    return { port, proc };
  }

  async function converged(sentinels: Node[], masterPort: number): Promise<void> {
    await h.waitFor(
      async () => {
        for (const s of sentinels) {
          const { replies } = await tlsCalls(s.port, f, [
            ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'],
            ['SENTINEL', 'REPLICAS', 'mymaster'],
            ['SENTINEL', 'SENTINELS', 'mymaster'],
          ]);
          const addr = replies[0] as Reply[];
          if (String(addr[1]) !== String(masterPort)) throw new Error(`sentinel ${s.port} names ${String(addr[1])}`);
          const reps = (replies[1] as Reply[]).map(rec);
          if (reps.length !== 2 || reps.some((r) => r.flags !== 'slave' || r['master-link-status'] !== 'ok')) {
            throw new Error(`sentinel ${s.port}: replicas ${JSON.stringify(reps.map((r) => r.flags))}`);
          }
          const sens = (replies[2] as Reply[]).map(rec);
          if (sens.length !== sentinels.length - 1 || sens.some((r) => r.flags !== 'sentinel')) {
            throw new Error(`sentinel ${s.port}: peers ${JSON.stringify(sens.map((r) => r.flags))}`);
          }
        }
        return true;
      },
      {
        name: 'TLS group converged (every sentinel sees 2 replicas and its peers over TLS)',
        timeoutMs: 30000,
        intervalMs: 250,
      },
    );
  }

  /** After a failover to `newPort`: wait until the group agrees, stop these sentinels, remember the new master. */
  async function retire(sentinels: Node[], newPort: number): Promise<void> {
    await converged(sentinels, newPort);
    for (const x of sentinels) await x.proc.kill('SIGKILL');
    const promoted = replicas.find((r) => r.port === newPort)!;
    replicas = [master, ...replicas.filter((r) => r !== promoted)];
    master = promoted;
  }

  async function tlsRole(port: number): Promise<string> {
    const r = (await tlsCall(port, f, 'ROLE')) as Reply[];
    return String(r[0]);
  }

  before(async () => {
    f = makeCerts(h.tempDir('vigil-tls-certs-'));
    master = await redisTls();
    replicas = [
      await redisTls(['--replicaof', '127.0.0.1', String(master.port)]),
      await redisTls(['--replicaof', '127.0.0.1', String(master.port)]),
    ];
  });

  void test(
    'tls - Vigil sentinels: discovery and hellos over TLS, TLS clients, a failover',
    { timeout: 120_000 },
    async () => {
      const sentinels = [await sentinelTls('vigil'), await sentinelTls('vigil'), await sentinelTls('vigil')];
      await converged(sentinels, master.port);
      const s0 = sentinels[0]!;
      // The hello announces tls-port (Redis's rule with tls-replication yes): peers are reachable at it.
      const peers = ((await tlsCall(s0.port, f, 'SENTINEL', 'SENTINELS', 'mymaster')) as Reply[]).map(rec);
      assert.deepEqual(
        peers.map((p) => Number(p.port)).sort(),
        sentinels
          .slice(1)
          .map((s) => s.port)
          .sort(),
        'peers known at their TLS ports',
      );
      const info = String(await tlsCall(s0.port, f, 'INFO', 'server'));
      assert.match(info, /^tcp_port:0\r?$/m, 'port 0: no plain TCP listener');

      // redis-cli --tls
      const cli = await runTool(
        h,
        requireBinary('redis-cli'),
        [
          '--tls',
          '--cacert',
          f.ca,
          '--cert',
          f.clientCert,
          '--key',
          f.clientKey,
          '-h',
          '127.0.0.1',
          '-p',
          String(s0.port),
          'SENTINEL',
          'GET-MASTER-ADDR-BY-NAME',
          'mymaster',
        ],
        { name: 'redis-cli --tls' },
      );
      assert.deepEqual(cli.out, ['127.0.0.1', String(master.port)], 'redis-cli --tls');

      // ioredis: sentinel connections and the data connection both over TLS.
      const tlsOpts = {
        ca: readFileSync(f.ca),
        cert: readFileSync(f.clientCert),
        key: readFileSync(f.clientKey),
        checkServerIdentity: () => undefined,
      };
      const io = new Redis({
        sentinels: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
        name: 'mymaster',
        sentinelTLS: tlsOpts,
        tls: tlsOpts,
        enableTLSForSentinelMode: true,
        maxRetriesPerRequest: 2,
        lazyConnect: true,
      });
      io.on('error', () => {});
      try {
        await io.connect();
        assert.equal(await io.set('tls:key', 'v1'), 'OK');
        assert.equal(await io.get('tls:key'), 'v1');
      } finally {
        io.disconnect();
      }

      // redis-py 4.3.4 (Debian's python3-redis) with ssl.
      const py = [
        'import sys',
        'from redis.sentinel import Sentinel',
        `kw = dict(ssl=True, ssl_ca_certs='${f.ca}', ssl_certfile='${f.clientCert}', ssl_keyfile='${f.clientKey}', ssl_check_hostname=False)`,
        `s = Sentinel([('127.0.0.1', ${s0.port})], sentinel_kwargs=kw, **kw)`,
        "print('RESULT', s.discover_master('mymaster')[1])",
        "m = s.master_for('mymaster', **kw)",
        "m.set('tls:py', 'p1')",
        "print('RESULT', m.get('tls:py').decode())",
      ].join('\n');
      const res = await runPython(h, 'tls-sentinel', py, []);
      assert.deepEqual(
        res.out.filter((l) => l.startsWith('RESULT ')),
        [`RESULT ${master.port}`, 'RESULT p1'],
        `redis-py ssl (exit ${res.code}):\n${res.out.join('\n')}`,
      );

      // A failover, every link over TLS.
      assert.equal(await tlsCall(s0.port, f, 'SENTINEL', 'FAILOVER', 'mymaster'), 'OK');
      const newPort = await h.waitFor(
        async () => {
          const a = (await tlsCall(s0.port, f, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')) as Reply[];
          const p = Number(a[1]);
          return p !== master.port ? p : null;
        },
        { name: 'switch to a promoted replica', timeoutMs: 20000, intervalMs: 100 },
      );
      assert.equal(await tlsRole(newPort), 'master');
      await h.waitFor(async () => (await tlsRole(master.port)) === 'slave', {
        name: 'old master demoted',
        timeoutMs: 20000,
      });
      // The group now has the promoted replica as master: wait until every sentinel agrees and both replicas
      // follow it, then stop these sentinels; the next test monitors the new master.
      await retire(sentinels, newPort);
    },
  );

  void test(
    'tls - a mixed TLS fleet: real redis-sentinel and Vigil discover each other and follow a failover',
    { timeout: 120_000 },
    async () => {
      const sentinels = [await sentinelTls('redis'), await sentinelTls('vigil'), await sentinelTls('vigil')];
      await converged(sentinels, master.port);
      // Same record shape from both implementations over TLS.
      const [real, ours] = await Promise.all(
        sentinels.slice(0, 2).map(async (s) => rec(await tlsCall(s.port, f, 'SENTINEL', 'MASTER', 'mymaster'))),
      );
      assert.deepEqual(Object.keys(ours!), Object.keys(real!), 'SENTINEL MASTER fields (redis-sentinel vs Vigil)');
      assert.equal(ours!.flags, real!.flags);
      const old = master.port;
      assert.equal(await tlsCall(sentinels[1]!.port, f, 'SENTINEL', 'FAILOVER', 'mymaster'), 'OK');
      const newPort = await h.waitFor(
        async () => {
          const ports = await Promise.all(
            sentinels.map(async (s) =>
              Number(((await tlsCall(s.port, f, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')) as Reply[])[1]),
            ),
          );
          return ports.every((p) => p === ports[0] && p !== old) ? ports[0]! : null;
        },
        { name: 'every sentinel (real and Vigil) names the promoted replica', timeoutMs: 30000, intervalMs: 200 },
      );
      assert.equal(await tlsRole(newPort), 'master');
      await retire(sentinels, newPort);
    },
  );

  void test(
    'tls - a bad handshake costs that connection only; SIGHUP reloads the certificate',
    { timeout: 60_000 },
    async () => {
      const s = await sentinelTls('vigil');
      // Plain text on the TLS port.
      const plain = await new Promise<string>((resolve) => {
        const c = net.connect({ host: '127.0.0.1', port: s.port });
        let got = '';
        c.on('error', () => resolve(`error ${got}`));
        c.on('data', (d: Buffer) => (got += d.toString('latin1')));
        c.on('close', () => resolve(`closed ${got.length}`));
        c.on('connect', () => c.write('*1\r\n$4\r\nPING\r\n'));
      });
      assert.match(plain, /^(closed|error)/, 'plain text on the TLS port is not served');
      // No client certificate while tls-auth-clients is yes (the default).
      await assert.rejects(
        tlsCalls(s.port, f, [['PING']], { clientCert: false }),
        'refused without a client certificate',
      );
      assert.equal(await tlsCall(s.port, f, 'PING'), 'PONG', 'still serving after both');

      const before = (await tlsCalls(s.port, f, [['PING']])).peerCn;
      assert.equal(before, 'vigil-test-server');
      issue(f.dir, 'server', 'vigil-test-server-reloaded');
      process.kill(s.proc.pid, 'SIGHUP');
      await h.waitFor(async () => (await tlsCalls(s.port, f, [['PING']])).peerCn === 'vigil-test-server-reloaded', {
        name: 'new certificate served after SIGHUP',
        timeoutMs: 10000,
        intervalMs: 100,
      });
      assert.ok(s.proc.running, 'SIGHUP does not end the process');
      await s.proc.kill('SIGKILL');
    },
  );

  void test(
    'tls - the proxy follows a TLS group (control plane over TLS) and passes TLS clients through',
    { timeout: 120_000 },
    async () => {
      const sentinels = [await sentinelTls('vigil'), await sentinelTls('vigil'), await sentinelTls('vigil')];
      await converged(sentinels, master.port);
      const listen = await freePort();
      const vigil = { cmd: process.execPath, pre: ['--import', 'tsx', join(REPO_ROOT, 'src/cli/vigil.ts')] };
      await h.spawn(
        vigil.cmd,
        [
          ...vigil.pre,
          'proxy',
          '--sentinels',
          sentinels.map((x) => `127.0.0.1:${x.port}`).join(','),
          '--master-name',
          'mymaster',
          '--listen',
          `127.0.0.1:${listen}`,
          '--sentinel-tls',
          '--redis-tls',
          '--tls-ca-cert-file',
          f.ca,
          '--tls-cert-file',
          f.clientCert,
          '--tls-key-file',
          f.clientKey,
        ],
        { name: 'vigil-proxy-tls', cwd: REPO_ROOT, readyWhen: () => pingsOverTls(listen, f), readyTimeoutMs: 20000 },
      );
      // The client's TLS session ends at the master itself: the proxy only moves bytes.
      const tlsPortOf = async (port: number): Promise<number> =>
        Number(((await tlsCall(port, f, 'CONFIG', 'GET', 'tls-port')) as Reply[])[1]);
      assert.equal(await tlsPortOf(listen), master.port, 'through the proxy: the master');
      const old = master.port;
      assert.equal(await tlsCall(sentinels[0]!.port, f, 'SENTINEL', 'FAILOVER', 'mymaster'), 'OK');
      const now = await h.waitFor(
        async () => {
          const p = await tlsPortOf(listen).catch(() => 0);
          return p !== 0 && p !== old ? p : null;
        },
        { name: 'the proxy forwards to the promoted replica', timeoutMs: 20000, intervalMs: 100 },
      );
      assert.equal(await tlsRole(now), 'master');
      await retire(sentinels, now);
    },
  );
});
