// The outbound RESP client's contract (src/link/link.ts) against scripted servers on 127.0.0.1: an error reply to
// a handshake command is reported once per connection and the link carries on (the runtime logs it at warning),
// and hostile input (malformed RESP, replies over LINK_LIMITS) closes only the connection that received it, as a
// protocol error, through both faces (Link's onDown, RespConn's RespConnError).
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { LINK_LIMITS, Link, RespConn, RespConnError, type DownKind } from '../../src/link/link.js';
import { CommandDecoder, RespErrorReply, type Reply } from '../../src/resp/index.js';
import { SentinelRuntime } from '../../src/runtime/runtime.js';
import type { LogLevel } from '../../src/core/types.js';
import { globals, masterConfig } from './core-helpers.js';

const servers: Server[] = [];
const sockets: Socket[] = [];
after(() => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
});

/** A server answering each command with `script(args)` (raw bytes, or nothing); `received` logs the commands. */
async function fake(
  script: (args: string[]) => string | Buffer | Buffer[] | undefined,
): Promise<{ port: number; received: string[][] }> {
  const received: string[][] = [];
  const srv = createServer((sock) => {
    sockets.push(sock);
    sock.on('error', () => {});
    const dec = new CommandDecoder();
    sock.on('data', (chunk: Buffer) => {
      for (const cmd of dec.push(chunk)) {
        const args = cmd.map((b) => b.toString());
        received.push(args);
        const out = script(args);
        if (out === undefined) continue;
        for (const part of Array.isArray(out) ? out : [out]) sock.write(part);
      }
    });
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as { port: number }).port, received };
}

async function waitFor(cond: () => boolean, name: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${name}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Seen {
  replies: Reply[];
  handshakeErrors: Array<[string, string]>;
  downs: Array<[string, DownKind]>;
  pushes: Reply[];
}

function open(port: number, handshake: string[][] = []): { link: Link<string>; seen: Seen } {
  const seen: Seen = { replies: [], handshakeErrors: [], downs: [], pushes: [] };
  const link = new Link<string>(
    { host: '127.0.0.1', port, handshake, pubsub: false, connectTimeoutMs: 2000 },
    {
      onUp: () => {},
      onDown: (reason, kind) => seen.downs.push([reason, kind]),
      onReply: (_tag, r) => seen.replies.push(r),
      onPush: (f) => seen.pushes.push(f),
      onHandshakeError: (cmd, text) => seen.handshakeErrors.push([cmd, text]),
    },
  );
  return { link, seen };
}

const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';

void describe('link - handshake errors', { timeout: 20_000 }, () => {
  const cases: Array<{ name: string; auth: string; client: string; want: Array<[string, string]> }> = [
    {
      name: 'a refused AUTH is reported, not the NOAUTH that follows it',
      auth: `-${WRONGPASS}\r\n`,
      client: '-NOAUTH Authentication required.\r\n',
      want: [['AUTH', WRONGPASS]],
    },
    {
      name: 'a refused CLIENT SETNAME is reported by the name it was sent as',
      auth: '+OK\r\n',
      client: "-ERR unknown command 'CLIENT-X'\r\n",
      want: [['CLIENT-X', "ERR unknown command 'CLIENT-X'"]],
    },
    { name: 'an accepted handshake reports nothing', auth: '+OK\r\n', client: '+OK\r\n', want: [] },
  ];
  for (const c of cases) {
    void test(`link - ${c.name}; the link carries on`, async () => {
      const f = await fake((args) => (args[0] === 'AUTH' ? c.auth : args[0] === 'CLIENT-X' ? c.client : '+PONG\r\n'));
      const { link, seen } = open(f.port, [
        ['AUTH', 's3cret'],
        ['CLIENT-X', 'SETNAME', 'sentinel-aaaaaaaa-cmd'],
      ]);
      try {
        link.send(['PING'], 'ping');
        link.send(['PING'], 'ping');
        // Replies come in order: once both PONGs are in, both handshake replies have been handled.
        await waitFor(() => seen.replies.length === 2, 'both PING replies');
        assert.deepEqual(seen.replies, ['PONG', 'PONG'], 'handshake replies are not handed over as command replies');
        assert.deepEqual(seen.handshakeErrors, c.want);
        assert.deepEqual(seen.downs, [], 'the link stays up');
        assert.deepEqual(seen.pushes, []);
        assert.deepEqual(
          f.received.map((a) => a[0]),
          ['AUTH', 'CLIENT-X', 'PING', 'PING'],
        );
      } finally {
        link.close();
      }
    });
  }

  void test('link - the runtime logs a refused AUTH at warning level, once per link, without the password', async () => {
    const f = await fake((args) => (args[0] === 'AUTH' ? `-${WRONGPASS}\r\n` : '-NOAUTH Authentication required.\r\n'));
    const logs: Array<[LogLevel, string]> = [];
    const rt = new SentinelRuntime({
      globals: globals(),
      masters: [masterConfig({ port: f.port, authPass: 'hunter2-secret' })],
      port: 26379,
      logger: { log: (level, msg) => logs.push([level, msg]), enabled: () => true, setLevel: () => undefined },
      exit: () => undefined,
    });
    try {
      await rt.start();
      const refused = (): string[] => logs.filter(([, m]) => m.includes('refused')).map(([l, m]) => `${l} ${m}`);
      // The links stay up and every PING is answered -NOAUTH (not a valid reply): after down-after the master is
      // sdown, by which time many replies behind the handshake have been read.
      await waitFor(() => logs.some(([, m]) => m.startsWith('+sdown master mymaster')), '+sdown');
      assert.deepEqual(refused().sort(), [
        `warning 127.0.0.1:${f.port} refused AUTH on the cmd link: ${WRONGPASS}`,
        `warning 127.0.0.1:${f.port} refused AUTH on the pubsub link: ${WRONGPASS}`,
      ]);
      assert.ok(!logs.some(([, m]) => m.includes('hunter2')), 'the password is never logged');
    } finally {
      rt.stop();
    }
  });
});

/** Hostile replies, each past one of LINK_LIMITS or not RESP at all, and what the error says about it. */
const HOSTILE: Array<{ name: string; bytes: () => Buffer[]; why: RegExp }> = [
  { name: 'an unknown type byte', bytes: () => [Buffer.from('?what\r\n')], why: /unknown reply type byte 63/ },
  {
    name: 'a bulk longer than maxBulkLength',
    bytes: () => [Buffer.from(`$${LINK_LIMITS.maxBulkLength + 1}\r\n`)],
    why: /invalid bulk length/,
  },
  {
    name: 'an array longer than maxMultibulkLength',
    bytes: () => [Buffer.from(`*${LINK_LIMITS.maxMultibulkLength + 1}\r\n`)],
    why: /invalid multibulk length/,
  },
  {
    name: 'nesting deeper than maxDepth',
    bytes: () => [Buffer.from('*1\r\n'.repeat(LINK_LIMITS.maxDepth + 1))],
    why: /nesting too deep/,
  },
  {
    // Every element within the limits, the whole over maxReplyBytes: two full 32 MB bulks and part of a third.
    name: 'a reply over maxReplyBytes',
    bytes: () => {
      const n = LINK_LIMITS.maxBulkLength;
      const body = Buffer.alloc(n, 0x61);
      const head = (s: string): Buffer => Buffer.from(s);
      return [
        head(`*3\r\n$${n}\r\n`),
        body,
        head(`\r\n$${n}\r\n`),
        body,
        head(`\r\n$${n}\r\n`),
        body.subarray(0, 4 << 20),
      ];
    },
    why: new RegExp(`reply larger than ${LINK_LIMITS.maxReplyBytes} bytes$`),
  },
];

void describe('link - hostile input closes only that connection', { timeout: 60_000 }, () => {
  for (const h of HOSTILE) {
    void test(`link - ${h.name}: onDown as a protocol error, the other link unaffected`, async () => {
      const bad = await fake((args) => (args[0] === 'PING' ? h.bytes() : undefined));
      const good = await fake(() => '+PONG\r\n');
      const b = open(bad.port);
      const g = open(good.port);
      try {
        b.link.send(['PING'], 'ping');
        await waitFor(() => b.seen.downs.length > 0, 'the hostile link down', 10_000);
        assert.equal(b.seen.downs.length, 1);
        const [reason, kind] = b.seen.downs[0]!;
        assert.equal(kind, 'protocol');
        assert.match(reason, /^protocol error: /);
        assert.match(reason, h.why);
        assert.deepEqual(b.seen.replies, []);
        g.link.send(['PING'], 'ping');
        await waitFor(() => g.seen.replies.length === 1, 'the good link answers');
        assert.deepEqual(g.seen.replies, ['PONG']);
        assert.deepEqual(g.seen.downs, []);
      } finally {
        b.link.close();
        g.link.close();
      }
    });

    void test(`resp connection - ${h.name}: RespConnError 'protocol', the other connection unaffected`, async () => {
      const bad = await fake((args) => (args[0] === 'PING' ? h.bytes() : undefined));
      const good = await fake(() => '+PONG\r\n');
      const b = await RespConn.open('127.0.0.1', bad.port, { callTimeoutMs: 10_000 });
      const g = await RespConn.open('127.0.0.1', good.port);
      try {
        const check = (e: unknown): boolean => {
          assert.ok(e instanceof RespConnError);
          assert.equal(e.reason, 'protocol');
          assert.equal(e.message, `bad reply from 127.0.0.1:${bad.port}`);
          assert.match(String((e.cause as Error | undefined)?.message ?? e.cause), h.why);
          return true;
        };
        const behind = b.call('GET', 'k');
        await assert.rejects(b.call('PING'), check);
        await assert.rejects(behind, check);
        check(await b.closed);
        await assert.rejects(b.call('PING'), check);
        assert.equal(await g.call('PING'), 'PONG');
      } finally {
        b.close();
        g.close();
      }
    });
  }

  void test('resp connection - an error reply is data, not a protocol error', async () => {
    const f = await fake(() => '-ERR nope\r\n');
    const c = await RespConn.open('127.0.0.1', f.port);
    try {
      const r = await c.callRaw('PING');
      assert.ok(r instanceof RespErrorReply);
      assert.equal(r.message, 'ERR nope');
    } finally {
      c.close();
    }
  });
});
