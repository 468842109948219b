// The HTTP shell (src/http/server.ts) on its own, with a fake provider: an event-stream client that stops
// reading is dropped once its backlog passes the limit (and its stream slot is freed), a stream over the limit
// is refused, and a provider that throws is a 500, not a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startHttp, parseHostPort, type ApiProvider } from '../../src/http/server.js';

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

void test('http server - a stuck SSE reader is dropped, its slot freed; extra streams refused; errors are 500', async () => {
  const sends = new Set<(e: string, id: number | null, d: unknown) => void>();
  const api: ApiProvider = {
    get: (path) => (path === 'boom' ? Promise.reject(new Error('boom')) : Promise.resolve({ ok: true })),
    subscribe: (_since, send) => {
      sends.add(send);
      return () => sends.delete(send);
    },
  };
  const ep = await startHttp({ host: '127.0.0.1', port: 0, api, maxStreams: 1, maxStreamBacklog: 64 * 1024 });
  try {
    const stuck = connect(ep.port, '127.0.0.1');
    let closed = false;
    stuck.on('close', () => (closed = true));
    stuck.on('error', () => undefined);
    stuck.write('GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n');
    stuck.pause();
    await until(() => sends.size === 1, 'stream subscribed');
    const second = await fetch(`${ep.url}api/v1/events`, { headers: { accept: 'text/event-stream' } });
    assert.equal(second.status, 503, 'a stream over maxStreams is refused');
    const big = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 2000 && sends.size > 0; i++) for (const s of sends) s('sentinel', i, { big });
    await until(() => sends.size === 0, 'the stuck reader was unsubscribed');
    // The server destroyed the socket; a paused client only sees it once it reads again.
    stuck.resume();
    await until(() => closed, 'the stuck reader was disconnected');
    const third = await fetch(`${ep.url}api/v1/events`, { headers: { accept: 'text/event-stream' } });
    assert.equal(third.status, 200, 'the freed slot takes a new stream');
    await third.body?.cancel();
    assert.equal((await fetch(`${ep.url}api/v1/boom`)).status, 500);
    assert.equal((await fetch(`${ep.url}api/v1/x`)).status, 200);
  } finally {
    await ep.close();
  }
});

void test('http server - parseHostPort', () => {
  assert.deepEqual(parseHostPort('127.0.0.1:9479'), { host: '127.0.0.1', port: 9479 });
  assert.deepEqual(parseHostPort(':9479'), { host: '127.0.0.1', port: 9479 });
  assert.deepEqual(parseHostPort('[::1]:80'), { host: '::1', port: 80 });
  assert.equal(parseHostPort('127.0.0.1'), null);
  assert.equal(parseHostPort('127.0.0.1:70000'), null);
  assert.equal(parseHostPort('a:b:1'), null);
});
