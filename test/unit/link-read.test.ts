// The sentinel's outbound link (src/link/link.ts) reads plain TCP through `onread` into one buffer shared by
// every link. Against a scripted server on 127.0.0.1: a large reply split over many reads arrives intact while
// another link is reading at the same time (so the shared buffer is overwritten between the pieces), and a
// server that closes the connection is reported once through onDown.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { Link } from '../../src/link/link.js';
import type { Reply } from '../../src/resp/types.js';

const servers: Server[] = [];
const sockets: Socket[] = [];
after(() => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
});

/** A server that answers every PING with `reply(i)` (i = the connection's PING count), written in `pieces`. */
async function fakeServer(reply: (i: number) => string, pieces: number): Promise<number> {
  const srv = createServer((sock) => {
    sockets.push(sock);
    sock.on('error', () => {});
    let n = 0;
    // One write chain per connection, so replies to pipelined PINGs are never interleaved.
    const queue: Buffer[] = [];
    let writing = false;
    const pump = (): void => {
      const piece = queue.shift();
      if (piece === undefined || sock.destroyed) {
        writing = false;
        return;
      }
      writing = true;
      sock.write(piece);
      setTimeout(pump, 2);
    };
    sock.on('data', (d: Buffer) => {
      const count = d.toString('latin1').split('PING').length - 1;
      for (let k = 0; k < count; k++) {
        const bytes = Buffer.from(reply(n++), 'latin1');
        const step = Math.ceil(bytes.length / pieces);
        for (let off = 0; off < bytes.length; off += step) queue.push(bytes.subarray(off, off + step));
      }
      if (!writing) pump();
    });
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return (srv.address() as { port: number }).port;
}

function bulk(s: string): string {
  return `$${Buffer.byteLength(s, 'latin1')}\r\n${s}\r\n`;
}

function open(port: number, onReply: (r: Reply) => void, onDown: () => void = () => {}): Link<string> {
  return new Link<string>(
    { host: '127.0.0.1', port, handshake: [], pubsub: false, connectTimeoutMs: 2000 },
    { onUp: () => {}, onDown, onReply: (_t, r) => onReply(r), onPush: () => {} },
  );
}

void test('a large reply split over many reads arrives intact while another link reads', async () => {
  const bigA = 'a'.repeat(200_000) + 'END-A';
  const bigB = (i: number): string => `b${i}-`.repeat(20_000) + 'END-B';
  const portA = await fakeServer(() => bulk(bigA), 40);
  const portB = await fakeServer((i) => bulk(bigB(i)), 25);
  const gotA: Reply[] = [];
  const gotB: Reply[] = [];
  const a = open(portA, (r) => gotA.push(r));
  const b = open(portB, (r) => gotB.push(r));
  try {
    for (let i = 0; i < 3; i++) {
      a.send(['PING'], 'ping');
      b.send(['PING'], 'ping');
    }
    const deadline = Date.now() + 10_000;
    while ((gotA.length < 3 || gotB.length < 3) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(gotA.length, 3, 'all replies on link A');
    assert.equal(gotB.length, 3, 'all replies on link B');
    for (const r of gotA) assert.ok(r === bigA, 'link A reply intact');
    gotB.forEach((r, i) => assert.ok(r === bigB(i), `link B reply ${i} intact`));
  } finally {
    a.close();
    b.close();
  }
});

void test('a server closing the connection is reported once through onDown', async () => {
  let downs = 0;
  const srv = createServer((sock) => {
    sockets.push(sock);
    sock.on('error', () => {});
    sock.once('data', () => sock.end('+PONG\r\n'));
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  const got: Reply[] = [];
  const l = open(
    port,
    (r) => got.push(r),
    () => downs++,
  );
  l.send(['PING'], 'ping');
  const deadline = Date.now() + 5000;
  while (downs === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 50)); // a second onDown (end, then close) would land here
  assert.deepEqual(got, ['PONG']);
  assert.equal(downs, 1);
  l.close();
});
