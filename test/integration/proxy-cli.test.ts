// `vigil proxy` as a user runs it, in the entry-point form issue 5 fixes: --sentinels in jambonz's comma form,
// --master-name, --listen, --sentinel-password against sentinels with requirepass, and --config with two masters
// (one listener each).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import {
  Harness,
  RespClient,
  accepts,
  answersPong,
  freePort,
  sendUntilClose,
  hasBinary,
  REPO_ROOT,
  type OwnedProcess,
} from '../harness/index.js';

const skip =
  !hasBinary('redis-server') || !hasBinary('redis-sentinel') ? 'redis-server/redis-sentinel not installed' : false;
// The same argv bin/vigil passes on, run from source so the test always covers the current code (bin/vigil itself,
// i.e. the compiled dist/, is covered by cluster-bin.test.ts).
const vigil = { cmd: process.execPath, pre: ['--import', 'tsx', join(REPO_ROOT, 'src/cli/vigil.ts')] };
const PASS = 's3cret';

void describe('proxy - vigil proxy command line', { skip }, () => {
  const h = new Harness();
  after(() => h.cleanup());

  async function setup(): Promise<{ alpha: number; beta: number; sentinels: string }> {
    const a = await h.redis();
    const b = await h.redis();
    const conf = [
      `requirepass ${PASS}`,
      `sentinel monitor alpha 127.0.0.1 ${a.port} 1`,
      `sentinel monitor beta 127.0.0.1 ${b.port} 1`,
    ].join('\n');
    const s1 = await h.sentinel({ impl: 'redis', conf });
    const s2 = await h.sentinel({ impl: 'redis', conf });
    return { alpha: a.port, beta: b.port, sentinels: `127.0.0.1:${s1.port},127.0.0.1:${s2.port}` };
  }

  function proxy(args: string[], ports: number[]): Promise<OwnedProcess> {
    return h.spawn(vigil.cmd, [...vigil.pre, 'proxy', ...args], {
      name: 'vigil-proxy',
      cwd: REPO_ROOT,
      readyWhen: async () => {
        for (const p of ports) if (!(await answersPong(p))) return false;
        return true;
      },
      readyTimeoutMs: 15_000,
    });
  }

  /** The entry-point form for master 'alpha'. */
  function alphaArgs(f: { sentinels: string }, listen: number): string[] {
    return [
      '--sentinels',
      f.sentinels,
      '--master-name',
      'alpha',
      '--listen',
      `127.0.0.1:${listen}`,
      '--sentinel-password',
      PASS,
    ];
  }

  async function setThrough(port: number, key: string, value: string): Promise<void> {
    const c = await RespClient.connect(port);
    try {
      assert.equal(await c.call('SET', key, value), 'OK');
    } finally {
      c.close();
    }
  }

  async function get(port: number, key: string): Promise<unknown> {
    const c = await RespClient.connect(port);
    try {
      return await c.call('GET', key);
    } finally {
      c.close();
    }
  }

  void test('proxy cli - --sentinels list, --master-name, --listen, --sentinel-password', async () => {
    const f = await setup();
    const listen = await freePort();
    await proxy(alphaArgs(f, listen), [listen]);
    await setThrough(listen, 'k', 'via-proxy');
    assert.equal(await get(f.alpha, 'k'), 'via-proxy');
    assert.equal(await get(f.beta, 'k'), null);
  });

  void test('proxy cli - --config with two masters, one listener each', async () => {
    const f = await setup();
    const [pa, pb] = [await freePort(), await freePort()];
    const file = join(h.tempDir('vigil-proxy-cli-'), 'proxy.json');
    writeFileSync(
      file,
      JSON.stringify({
        sentinels: f.sentinels,
        sentinelPassword: PASS,
        masters: [
          { name: 'alpha', listen: `127.0.0.1:${pa}` },
          { name: 'beta', listen: `127.0.0.1:${pb}` },
        ],
      }),
    );
    await proxy(['--config', file], [pa, pb]);
    await setThrough(pa, 'which', 'alpha');
    await setThrough(pb, 'which', 'beta');
    assert.equal(await get(f.alpha, 'which'), 'alpha');
    assert.equal(await get(f.beta, 'which'), 'beta');
  });

  // A proxy that cannot learn its master must say why, once per reason, and answer clients with an error.
  for (const [label, flags, why] of [
    ['a wrong --sentinel-password', ['--master-name', 'alpha', '--sentinel-password', 'wrong'], /WRONGPASS/],
    ['no --sentinel-password', ['--master-name', 'alpha'], /NOAUTH/],
    ['a misspelled --master-name', ['--master-name', 'alpah', '--sentinel-password', PASS], /No such master/],
  ] as const) {
    void test(`proxy cli - ${label} is logged and clients get a clear error`, async () => {
      const f = await setup();
      const listen = await freePort();
      const p = await h.spawn(
        vigil.cmd,
        [
          ...vigil.pre,
          'proxy',
          '--sentinels',
          f.sentinels,
          '--listen',
          `127.0.0.1:${listen}`,
          '--max-hold-ms',
          '300',
          ...flags,
        ],
        // It listens (and holds clients) before it knows a master.
        { name: 'vigil-proxy-unconfigured', cwd: REPO_ROOT, readyWhen: () => accepts(listen) },
      );
      await h.waitFor(() => /"msg":"sentinel link problem"/.test(p.logTail(100)) && why.test(p.logTail(100)), {
        name: `the reason (${String(why)}) logged`,
        timeoutMs: 5000,
      });
      const reply = await sendUntilClose(listen, 'PING\r\n');
      assert.match(reply, /^-ERR vigil-proxy: no confirmed master for '\w+' after 300 ms/);
      // Retries do not repeat the same line: each reason once per sentinel.
      const lines = p
        .logTail(500)
        .split('\n')
        .filter((l) => why.test(l));
      assert.ok(lines.length <= 2 * 2, `logged ${lines.length} times:\n${lines.join('\n')}`);
    });
  }

  void test(
    'proxy cli - a connection flood past the open-file limit: clients beyond max-clients get an error, the proxy lives',
    { skip: hasBinary('prlimit') ? false : 'prlimit not installed' },
    async () => {
      const f = await setup();
      const listen = await freePort();
      // 400 descriptors: the default max-clients becomes (400 - 128) / 2 = 136.
      const p = await h.spawn(
        'prlimit',
        ['--nofile=400:400', vigil.cmd, ...vigil.pre, 'proxy', ...alphaArgs(f, listen)],
        { name: 'vigil-proxy-nofile', cwd: REPO_ROOT, readyWhen: () => answersPong(listen) },
      );
      assert.match(p.logTail(50), /"maxClients":136/);
      const socks = Array.from({ length: 200 }, () => {
        const s = connect({ host: '127.0.0.1', port: listen });
        const c = { s, got: '', closed: false };
        s.on('data', (b) => (c.got += b.toString()));
        s.on('error', () => undefined);
        s.on('close', () => (c.closed = true));
        s.write('PING\r\n');
        return c;
      });
      const pong = (): number => socks.filter((c) => c.got === '+PONG\r\n').length;
      const told = (): number =>
        socks.filter((c) => c.closed && c.got === '-ERR max number of clients reached\r\n').length;
      await h.waitFor(() => pong() + told() === 200, {
        name: 'every client answered: PONG or max clients',
        timeoutMs: 10_000,
      });
      assert.equal(pong(), 136);
      assert.match(p.logTail(50), /max clients reached/);
      for (const c of socks) c.s.destroy();
      // Still serving once the flood is gone.
      await h.waitFor(() => answersPong(listen), { name: 'serves again after the flood', timeoutMs: 5000 });
      assert.equal(p.exitCode, null);
    },
  );
});
