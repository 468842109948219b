// The shared outbound RESP connection (RespConn in src/link/link.ts) against a tiny scripted server on 127.0.0.1:
// replies in order, per-call deadline, one confirmation per subscribed channel, AUTH, and what close does to
// calls still waiting.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { RespConn, RespConnError, callOnce, fieldsOf, infoFields } from '../../src/link/link.js';
import { CommandDecoder, RespErrorReply, type Reply } from '../../src/resp/index.js';

/** What the fake server does with one command: the raw bytes to write back, or nothing (no answer). */
type Script = (args: string[], sock: Socket) => string | string[] | undefined;

interface Fake {
  port: number;
  /** Every command received, in order, as text. */
  received: string[][];
  server: Server;
}

const servers: Server[] = [];
const sockets: Socket[] = [];
after(() => {
  // Also the server side of connections a failed test left open, so the run ends either way.
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
});

async function fake(script: Script): Promise<Fake> {
  const received: string[][] = [];
  const server = createServer((sock) => {
    sockets.push(sock);
    const dec = new CommandDecoder();
    sock.on('error', () => {});
    sock.on('data', (chunk: Buffer) => {
      for (const cmd of dec.push(chunk)) {
        const args = cmd.map((b) => b.toString());
        received.push(args);
        const out = script(args, sock);
        if (out === undefined) continue;
        // Several parts are written separately, so the client sees them in different chunks.
        for (const part of Array.isArray(out) ? out : [out]) sock.write(part);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  assert.ok(addr && typeof addr === 'object');
  return { port: addr.port, received, server };
}

const bulk = (s: string): string => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
const arr = (...items: string[]): string => `*${items.length}\r\n${items.join('')}`;

/** `GET k` answers the bulk `v:k`, `ERR` an error, `HANG` nothing, anything else +OK. */
const echoScript: Script = (args) => {
  const [name, a] = args;
  if (name === 'GET') return bulk(`v:${a ?? ''}`);
  if (name === 'PING') return '+PONG\r\n';
  if (name === 'ERR') return '-ERR no such thing\r\n';
  if (name === 'HANG') return undefined;
  return '+OK\r\n';
};

void describe('resp connection - calls', { timeout: 20_000 }, () => {
  void test('resp connection - pipelined calls are answered in order, split or batched', async () => {
    // The first reply is cut in two; the second and third come in one write.
    const f = await fake((args) =>
      args[1] === 'a' ? [`$3\r\nv`, `:a\r\n`] : args[1] === 'b' ? undefined : bulk(`v:b`) + bulk(`v:${args[1]}`),
    );
    const c = await RespConn.open('127.0.0.1', f.port);
    try {
      const rs = await Promise.all([c.call('GET', 'a'), c.call('GET', 'b'), c.call('GET', 'c')]);
      assert.deepEqual(rs, ['v:a', 'v:b', 'v:c']);
      assert.deepEqual(f.received, [
        ['GET', 'a'],
        ['GET', 'b'],
        ['GET', 'c'],
      ]);
    } finally {
      c.close();
    }
  });

  void test('resp connection - call rejects error replies, callRaw returns them', async () => {
    const f = await fake(echoScript);
    const c = await RespConn.open('127.0.0.1', f.port);
    try {
      await assert.rejects(
        c.call('ERR'),
        (e: unknown) => e instanceof RespErrorReply && e.message === 'ERR no such thing',
      );
      const raw = await c.callRaw('ERR');
      assert.ok(raw instanceof RespErrorReply);
      assert.equal(raw.code, 'ERR');
      // The connection is still usable after an error reply.
      assert.equal(await c.call('PING'), 'PONG');
    } finally {
      c.close();
    }
  });

  void test('resp connection - a missed deadline rejects that call and every later one, and closes', async () => {
    // A stalled server: from HANG on it answers nothing (replies stay in order, so nothing after it can come).
    let stalled = false;
    const f = await fake((args, sock) => {
      stalled ||= args[0] === 'HANG';
      return stalled ? undefined : echoScript(args, sock);
    });
    const c = await RespConn.open('127.0.0.1', f.port, { callTimeoutMs: 150 });
    const t0 = Date.now();
    const hang = c.call('HANG');
    const behind = c.call('GET', 'x');
    await assert.rejects(hang, (e: unknown) => {
      assert.ok(e instanceof RespConnError);
      assert.equal(e.code, 'VIGIL_ERR_RESP_CONN');
      assert.equal(e.reason, 'call-timeout');
      assert.equal(e.message, `127.0.0.1:${f.port} did not answer HANG in time`);
      return true;
    });
    assert.ok(Date.now() - t0 >= 140, `deadline kept (${Date.now() - t0} ms)`);
    // The reply to GET may not be read as HANG's: the stream is abandoned instead.
    await assert.rejects(behind, RespConnError);
    const why = await c.closed;
    assert.equal(why.message, `127.0.0.1:${f.port} did not answer HANG in time`);
    await assert.rejects(c.call('PING'), /did not answer HANG in time/);
  });

  void test('resp connection - close rejects pending calls and resolves closed', async () => {
    const f = await fake(echoScript);
    // A deadline far beyond the suite's timeout: the rejection has to come from close itself.
    const c = await RespConn.open('127.0.0.1', f.port, { callTimeoutMs: 60_000 });
    const pending = c.call('HANG');
    c.close();
    await assert.rejects(pending, (e: unknown) => {
      assert.ok(e instanceof RespConnError);
      assert.equal(e.reason, 'closed');
      assert.equal(e.message, `connection to 127.0.0.1:${f.port} closed`);
      return true;
    });
    assert.equal((await c.closed).message, `connection to 127.0.0.1:${f.port} closed`);
    await assert.rejects(c.call('PING'), /closed/);
  });

  void test('resp connection - the server closing the socket rejects pending calls', async () => {
    const f = await fake((args, sock) => {
      if (args[0] === 'QUIT') sock.end();
      return undefined;
    });
    const c = await RespConn.open('127.0.0.1', f.port, { callTimeoutMs: 60_000 });
    const a = c.call('HANG');
    const b = c.call('QUIT');
    await assert.rejects(a, { name: 'RespConnError', message: `connection to 127.0.0.1:${f.port} closed` });
    await assert.rejects(b, RespConnError);
    await c.closed;
  });

  void test('resp connection - a malformed reply closes the connection with a protocol error', async () => {
    const f = await fake(() => '?what\r\n');
    const c = await RespConn.open('127.0.0.1', f.port);
    await assert.rejects(c.call('PING'), (e: unknown) => {
      assert.ok(e instanceof RespConnError);
      assert.equal(e.reason, 'protocol');
      assert.equal(e.message, `bad reply from 127.0.0.1:${f.port}`);
      return true;
    });
  });

  void test('resp connection - connecting to a closed port fails with the address in the message', async () => {
    const f = await fake(echoScript);
    const port = f.port;
    await new Promise<void>((resolve) => f.server.close(() => resolve()));
    await assert.rejects(RespConn.open('127.0.0.1', port), (e: unknown) => {
      assert.ok(e instanceof RespConnError);
      assert.equal(e.reason, 'connect');
      assert.match(e.message, new RegExp(`^cannot connect to 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
      return true;
    });
  });

  void test('resp connection - callOnce runs one command and closes', async () => {
    let closedByClient = false;
    const f = await fake((_args, sock) => {
      sock.once('end', () => (closedByClient = true));
      return bulk('hello');
    });
    assert.equal(await callOnce('127.0.0.1', f.port, ['GET', 'k']), 'hello');
    await new Promise<void>((resolve, reject) => {
      const t0 = Date.now();
      const check = (): void => {
        if (closedByClient) resolve();
        else if (Date.now() - t0 > 2000) reject(new Error('callOnce left the connection open'));
        else setTimeout(check, 10);
      };
      check();
    });
  });
});

void describe('resp connection - subscribe', { timeout: 20_000 }, () => {
  void test('resp connection - subscribe waits for one confirmation per channel, then hands messages over', async () => {
    const conf = (p: string, n: number): string => arr(bulk('psubscribe'), bulk(p), `:${n}\r\n`);
    // The second confirmation only comes with the answer to the PING sent right behind PSUBSCRIBE, after two
    // messages: a PSUBSCRIBE that resolved on the first confirmation would take it for the PING reply.
    const f = await fake((args) => {
      if (args[0] === 'psubscribe') return conf(args[1] ?? '', 1);
      if (args[0] === 'PING') {
        return [
          conf('+switch-*', 2),
          arr(bulk('pmessage'), bulk('+switch-*'), bulk('+switch-master'), bulk('m 1 2 3 4')),
          arr(bulk('message'), bulk('plain'), bulk('hi')) + arr(bulk('pong'), bulk('')),
        ];
      }
      return undefined;
    });
    const c = await RespConn.open('127.0.0.1', f.port);
    try {
      const got: Array<[string, string]> = [];
      const sub = c.subscribe('psubscribe', ['+sdown', '+switch-*'], (ch, payload) => got.push([ch, payload]));
      const ping = c.call('PING');
      await sub;
      assert.deepEqual(await ping, ['pong', '']);
      assert.deepEqual(f.received, [['psubscribe', '+sdown', '+switch-*'], ['PING']]);
      assert.deepEqual(got, [
        ['+switch-master', 'm 1 2 3 4'],
        ['plain', 'hi'],
      ]);
    } finally {
      c.close();
    }
  });

  void test('resp connection - a missing channel confirmation misses the deadline', async () => {
    const f = await fake((args) => (args[0] === 'subscribe' ? arr(bulk('subscribe'), bulk('a'), ':1\r\n') : undefined));
    const c = await RespConn.open('127.0.0.1', f.port, { callTimeoutMs: 150 });
    await assert.rejects(
      c.subscribe('subscribe', ['a', 'b'], () => {}),
      /did not answer SUBSCRIBE in time/,
    );
  });
});

void describe('resp connection - AUTH', { timeout: 20_000 }, () => {
  const authScript: Script = (args) => {
    if (args[0] !== 'AUTH') return '+PONG\r\n';
    const [user, pass] = args.length === 3 ? [args[1], args[2]] : ['default', args[1]];
    return user === 'default' && pass === 's3cret' ? '+OK\r\n' : '-WRONGPASS invalid username-password pair\r\n';
  };

  void test('resp connection - no password sends no AUTH', async () => {
    const f = await fake(authScript);
    const c = await RespConn.open('127.0.0.1', f.port, { password: '' });
    assert.equal(await c.call('PING'), 'PONG');
    c.close();
    assert.deepEqual(f.received, [['PING']]);
  });

  void test('resp connection - AUTH password and AUTH username password before the first call', async () => {
    const f = await fake(authScript);
    const a = await RespConn.open('127.0.0.1', f.port, { password: 's3cret' });
    assert.equal(await a.call('PING'), 'PONG');
    a.close();
    const b = await RespConn.open('127.0.0.1', f.port, { username: 'default', password: 's3cret' });
    b.close();
    assert.deepEqual(f.received, [['AUTH', 's3cret'], ['PING'], ['AUTH', 'default', 's3cret']]);
  });

  void test('resp connection - a refused AUTH fails open with the server message', async () => {
    const f = await fake(authScript);
    await assert.rejects(RespConn.open('127.0.0.1', f.port, { password: 'wrong' }), (e: unknown) => {
      assert.ok(e instanceof RespConnError);
      assert.equal(e.reason, 'auth');
      assert.equal(e.message, `AUTH to 127.0.0.1:${f.port} failed: WRONGPASS invalid username-password pair`);
      return true;
    });
  });
});

void describe('resp connection - reply helpers', () => {
  void test('resp connection - fieldsOf turns a flat field/value array into a record', () => {
    const r: Reply = ['name', 'mymaster', 'port', 6379, 'flags', 'master', 'odd'];
    assert.deepEqual(fieldsOf(r), { name: 'mymaster', port: '6379', flags: 'master' });
    assert.deepEqual(fieldsOf('not an array'), {});
  });

  void test('resp connection - infoFields reads INFO text, skipping headers and blank lines', () => {
    const info = '# Replication\r\nrole:master\r\nconnected_slaves:2\r\nslave0:ip=127.0.0.1,port=7001\r\n\r\n';
    assert.deepEqual(infoFields(info), {
      role: 'master',
      connected_slaves: '2',
      slave0: 'ip=127.0.0.1,port=7001',
    });
  });
});
