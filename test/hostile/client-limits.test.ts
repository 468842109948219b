// Hostile clients: one that pipelines big replies and never reads them, one over a configured
// client-output-buffer-limit, one sending a bulk over proto-max-bulk-len, one whose unfinished query exceeds
// client-query-buffer-limit. Same script against redis-sentinel 7.0.15; differences in docs/security.md.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Harness, missingBinaries, type SentinelImpl, type SentinelProc } from '../harness/index.js';
import { call } from '../integration/sentinel-helpers.js';
import { rssMb } from './fake-redis.js';

const skip = missingBinaries('redis-server', 'redis-sentinel');

/** A raw connection that records whether (and what) the server sent before closing. */
async function rawClient(port: number): Promise<{ sock: net.Socket; closed: Promise<string>; received: () => number }> {
  const sock = net.connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  let got = 0;
  let head = '';
  sock.on('data', (d: Buffer) => {
    got += d.length;
    if (head.length < 200) head += d.toString('latin1', 0, Math.min(d.length, 200));
  });
  sock.on('error', () => {});
  const closed = new Promise<string>((resolve) => sock.on('close', () => resolve(head)));
  return { sock, closed, received: () => got };
}

for (const impl of ['vigil', 'redis'] as SentinelImpl[]) {
  void describe(`hostile client - ${impl}`, { skip }, () => {
    const h = new Harness();
    after(() => h.cleanup());
    let master: Awaited<ReturnType<Harness['redis']>>;
    const sentinel = async (extra: string[] = []): Promise<SentinelProc> => {
      master ??= await h.redis();
      return h.sentinel({ impl, conf: [`sentinel monitor m ${master.host} ${master.port} 1`, ...extra].join('\n') });
    };

    void test(`hostile client - pipelines big replies and never reads (${impl})`, { timeout: 60_000 }, async () => {
      const s = await sentinel();
      const one = (await call(s.port, 'COMMAND', 'DOCS')) as unknown[];
      assert.ok(Array.isArray(one));
      const c = await rawClient(s.port);
      c.sock.pause(); // never read
      const rss0 = rssMb(s.pid);
      const N = 3000;
      const cmd = '*2\r\n$7\r\nCOMMAND\r\n$4\r\nDOCS\r\n';
      c.sock.write(cmd.repeat(N));
      // While it sits there the sentinel keeps answering others; give it time to run what it read.
      for (let i = 0; i < 20; i++) assert.equal(await call(s.port, 'PING'), 'PONG');
      await h.waitFor(async () => (await call(s.port, 'PING')) === 'PONG', { name: 'ping', timeoutMs: 5000 });
      const clients = String(await call(s.port, 'CLIENT', 'LIST'));
      const omem = Math.max(...[...clients.matchAll(/omem=(\d+)/g)].map((m) => Number(m[1])));
      const grew = rssMb(s.pid) - rss0;
      console.log(
        `${impl}: ${N} x COMMAND DOCS unread: largest omem ${(omem / 1e6).toFixed(1)} MB, RSS +${grew.toFixed(1)} MB`,
      );
      if (impl === 'vigil') assert.ok(omem < 3 * 1024 * 1024, `omem ${omem}`);
      // Reading again drains it: every reply arrives.
      c.sock.resume();
      c.sock.destroy();
    });

    void test(
      `hostile client - client-output-buffer-limit normal 1mb 0 0 closes it (${impl})`,
      { timeout: 60_000 },
      async () => {
        const s = await sentinel(['client-output-buffer-limit normal 1mb 0 0']);
        const c = await rawClient(s.port);
        c.sock.pause();
        c.sock.write('*2\r\n$7\r\nCOMMAND\r\n$4\r\nDOCS\r\n'.repeat(400));
        // The client never reads, so it cannot see the close itself: ask the sentinel whether it is still listed.
        const me = `127.0.0.1:${c.sock.localPort}`;
        await h.waitFor(async () => !String(await call(s.port, 'CLIENT', 'LIST')).includes(` addr=${me} `), {
          name: 'client closed for its output limit',
          timeoutMs: 15000,
          intervalMs: 100,
        });
        c.sock.destroy();
        assert.equal(await call(s.port, 'PING'), 'PONG');
      },
    );

    void test(
      `hostile client - bulk over proto-max-bulk-len, query over client-query-buffer-limit (${impl})`,
      { timeout: 60_000 },
      async () => {
        const s = await sentinel(['proto-max-bulk-len 1mb', 'client-query-buffer-limit 1mb']);
        const a = await rawClient(s.port);
        a.sock.write(`*2\r\n$4\r\nECHO\r\n$${2 * 1024 * 1024}\r\n`);
        const headA = await a.closed;
        assert.match(headA, /^-ERR Protocol error: invalid bulk length/);
        const b = await rawClient(s.port);
        // A bulk within proto-max-bulk-len, sent in pieces, never finished: the query buffer passes 1 MB.
        b.sock.write(
          `*3\r\n$4\r\nECHO\r\n$${1000 * 1024}\r\n${'x'.repeat(1000 * 1024)}\r\n$${1000 * 1024}\r\n${'y'.repeat(600 * 1024)}`,
        );
        const r = await Promise.race([
          b.closed.then(() => 'closed'),
          new Promise((res) => setTimeout(res, 10_000, 'open')),
        ]);
        console.log(
          `${impl}: 2 MB bulk with proto-max-bulk-len 1mb -> ${JSON.stringify(headA.slice(0, 45))}; 1.6 MB query -> ${String(r)}`,
        );
        // redis-sentinel counts only the unparsed part of its query buffer, not a completed big argument, so it
        // keeps this client open; Vigil counts everything buffered for the unfinished command.
        assert.equal(r, impl === 'vigil' ? 'closed' : 'open');
        b.sock.destroy();
        assert.equal(await call(s.port, 'PING'), 'PONG');
      },
    );
  });
}
