// The re-pointing classification (src/proxy/repoint.ts): which client sessions may be moved to a new master at a
// switch. Properties: a session is idle only if every request was a complete frame of an allow-listed command
// (checked against an independent Redis-compatible decoder) and each has had its one reply; hostile streams
// (random names, arguments, garbage, cut frames, unsolicited replies) never classify as re-pointable otherwise.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RequestTracker, REPOINT_COMMANDS, isRepointCommand } from '../../src/proxy/repoint.js';
import { CommandDecoder, encodeCommand } from '../../src/resp/index.js';
import { chunk } from './resp-helpers.js';

const ALLOWED = [...REPOINT_COMMANDS];
/** Commands that change or read connection state, or block: each must make a session sticky. */
const STATEFUL = [
  'auth',
  'hello',
  'select',
  'multi',
  'exec',
  'watch',
  'unwatch',
  'subscribe',
  'psubscribe',
  'ssubscribe',
  'unsubscribe',
  'client',
  'readonly',
  'readwrite',
  'monitor',
  'reset',
  'blpop',
  'brpop',
  'blmove',
  'bzpopmin',
  'xread',
  'wait',
  'eval',
  'evalsha',
  'fcall',
  'script',
  'swapdb',
  'quit',
  'sync',
  'psync',
  'replicaof',
  'debug',
  'object',
];

/** A name in random ASCII case. */
const randomCase = (name: string): fc.Arbitrary<string> =>
  fc
    .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
    .map((up) => [...name].map((c, i) => (up[i] ? c.toUpperCase() : c)).join(''));

const arg = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('0', '1', 'x', '', '\r\n', ' '));
const allowedCmd = fc.tuple(fc.constantFrom(...ALLOWED).chain(randomCase), fc.array(arg, { maxLength: 4 }));
const anyName = fc.oneof(
  fc.constantFrom(...ALLOWED).chain(randomCase),
  fc.constantFrom(...STATEFUL).chain(randomCase),
  fc.string({ minLength: 0, maxLength: 40 }),
  // near misses of allowed names
  fc.constantFrom(...ALLOWED).map((n) => `${n}x`),
  fc.constantFrom(...ALLOWED).map((n) => n.slice(1)),
  fc.constantFrom(...ALLOWED).map((n) => `${n}\0`),
);
const anyCmd = fc.tuple(anyName, fc.array(arg, { maxLength: 4 }));

/** A stream fragment a hostile client might send. */
const fragment = fc.oneof(
  anyCmd.map(([n, a]) => encodeCommand([n, ...a])),
  allowedCmd.map(([n, a]) => encodeCommand([n, ...a])),
  fc.constantFrom(...ALLOWED, ...STATEFUL).map((n) => Buffer.from(`${n} a b\r\n`)),
  fc.constantFrom('\r\n', '\n', '*0\r\n', '*-1\r\n', '*1\r\n$3\r\nget', '"get" k\r\n', 'get  k\r\n').map(Buffer.from),
  fc.uint8Array({ maxLength: 16 }).map((u) => Buffer.from(u)),
);

/** The cut points of a stream of length n. */
const cuts = fc.array(fc.nat({ max: 400 }), { maxLength: 6 });

function feed(t: RequestTracker, stream: Buffer, at: number[]): void {
  for (const c of chunk(stream, at)) t.request(c);
}

/** What a Redis-compatible decoder reads from the stream: command names, or null if it rejects the stream. */
function decodeNames(stream: Buffer): { names: string[]; partial: boolean } | null {
  const d = new CommandDecoder();
  try {
    const cmds = d.push(stream);
    return { names: cmds.map((c) => c[0]!.toString('latin1').toLowerCase()), partial: d.buffered > 0 };
  } catch {
    return null;
  }
}

void describe('proxy repoint - classification', () => {
  void test('proxy repoint - allow-listed commands in any case, cut anywhere, each answered once: idle', () => {
    fc.assert(
      fc.property(fc.array(allowedCmd, { minLength: 1, maxLength: 8 }), cuts, (cmds, at) => {
        const t = new RequestTracker();
        const stream = Buffer.concat(cmds.map(([n, a]) => encodeCommand([n, ...a])));
        feed(t, stream, at);
        assert.equal(t.idle, false, 'requests without replies are not idle');
        const replies = Buffer.from(cmds.map((_, i) => (i % 2 ? '+OK\r\n' : `$2\r\nv${i % 10}\r\n`)).join(''));
        const parts = chunk(replies, at);
        for (let i = 0; i < parts.length; i++) {
          t.reply(parts[i]!);
          if (i < parts.length - 1 && parts.slice(i + 1).some((p) => p.length > 0))
            assert.equal(t.idle, false, 'not idle before the last reply byte');
        }
        assert.equal(t.idle, true, t.stickyReason);
      }),
      { numRuns: 300 },
    );
  });

  void test('proxy repoint - one state-changing command anywhere makes a session sticky for good', () => {
    fc.assert(
      fc.property(
        fc.array(allowedCmd, { maxLength: 4 }),
        fc.constantFrom(...STATEFUL).chain(randomCase),
        fc.array(arg, { maxLength: 3 }),
        fc.array(allowedCmd, { maxLength: 4 }),
        cuts,
        (before, name, args, afterCmds, at) => {
          const t = new RequestTracker();
          const all = [...before, [name, args] as [string, string[]], ...afterCmds];
          feed(t, Buffer.concat(all.map(([n, a]) => encodeCommand([n, ...a]))), at);
          for (let i = 0; i < all.length; i++) t.reply(Buffer.from('+OK\r\n'));
          assert.equal(t.idle, false);
          assert.equal(t.sticky, true);
        },
      ),
      { numRuns: 300 },
    );
  });

  void test('proxy repoint - hostile streams are idle only if a Redis decoder reads only allow-listed commands', () => {
    fc.assert(
      fc.property(
        fc.array(fragment, { maxLength: 8 }),
        cuts,
        fc.nat({ max: 10 }),
        fc.boolean(),
        (frags, at, extra, partialReply) => {
          const stream = Buffer.concat(frags);
          const t = new RequestTracker();
          feed(t, stream, at);
          const decoded = decodeNames(stream);
          // Answer as many requests as Redis would see (or a random number when Redis rejects the stream).
          const n = decoded ? decoded.names.length : extra;
          for (let i = 0; i < n; i++) t.reply(Buffer.from(':1\r\n'));
          if (partialReply) t.reply(Buffer.from('$5\r\nab'));
          if (!t.idle) return;
          assert.ok(!partialReply, 'idle with a reply half read');
          assert.ok(decoded, `idle, but Redis rejects ${JSON.stringify(stream.toString('latin1'))}`);
          assert.equal(decoded.partial, false, 'idle with a request half read');
          for (const name of decoded.names)
            assert.ok(
              REPOINT_COMMANDS.has(name),
              `idle after '${name}' (${JSON.stringify(stream.toString('latin1'))})`,
            );
        },
      ),
      { numRuns: 1000 },
    );
  });

  void test('proxy repoint - random command names are re-pointable only when on the allow-list', () => {
    fc.assert(
      fc.property(anyCmd, ([name, args]) => {
        const t = new RequestTracker();
        t.request(encodeCommand([name, ...args]));
        t.reply(Buffer.from('+OK\r\n'));
        const allowed = REPOINT_COMMANDS.has(Buffer.from(name).toString('latin1').toLowerCase());
        if (t.idle) assert.ok(allowed, `'${name}' classified as re-pointable`);
        assert.equal(isRepointCommand(name) && t.idle, allowed && t.idle);
      }),
      { numRuns: 2000 },
    );
  });

  void test('proxy repoint - an unsolicited reply, a reply that is not RESP2, or an oversized request: sticky', () => {
    const extra = new RequestTracker();
    extra.request(encodeCommand(['GET', 'k']));
    extra.reply(Buffer.from('$1\r\nv\r\n+OK\r\n'));
    assert.equal(extra.sticky, true, 'two replies to one request');

    const resp3 = new RequestTracker();
    resp3.request(encodeCommand(['GET', 'k']));
    resp3.reply(Buffer.from('%1\r\n+a\r\n+b\r\n'));
    assert.equal(resp3.sticky, true, 'a RESP3 map');

    const big = new RequestTracker();
    big.request(Buffer.from(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${2 * 1024 * 1024}\r\n`));
    assert.equal(big.sticky, true, 'a 2 MB value is not followed');

    const none = new RequestTracker();
    assert.equal(none.idle, true, 'a session that sent nothing is idle');
    none.request(Buffer.from('\r\n*0\r\n'));
    assert.equal(none.idle, true, 'empty requests get no reply and change nothing');
    none.request(Buffer.from('PING'));
    assert.equal(none.idle, false, 'a request half read');
  });

  void test('proxy repoint - the allow-list holds none of the state-changing commands', () => {
    for (const c of STATEFUL) assert.equal(isRepointCommand(c), false, c);
    assert.equal(isRepointCommand('GET'), true);
  });
});
