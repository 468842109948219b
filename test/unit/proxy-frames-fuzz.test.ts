// Fuzz of the --mux frame scanners (src/proxy/frames.ts), fed the way the data plane feeds them: a stream cut
// into arbitrary reads, each scanned with the tail of an unfinished frame kept in a PartialFrame.
// Properties: never throws; the frames found do not depend on how the stream was cut; valid streams are split
// exactly at the encoder's frame boundaries; and a request the scanner accepts is exactly one command to a
// Redis-compatible decoder (so the proxy never forwards as one request what Redis would read differently).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  scanReply,
  scanRequest,
  scan,
  PartialFrame,
  ReplyScanner,
  INCOMPLETE,
  INVALID,
  EMPTY,
} from '../../src/proxy/frames.js';
import { CommandDecoder, encode, encodeCommand, R, type Out } from '../../src/resp/index.js';
import { chunk } from './resp-helpers.js';

type Scanner = (b: Buffer, at: number) => number;
interface Scanned {
  /** Absolute end offset of every complete frame (empty requests included), in order. */
  ends: number[];
  /** Absolute offset of the frame found invalid, if any (scanning stops there). */
  invalidAt: number | null;
}

/** Scan a stream delivered as `chunks`, as the data plane does. */
function scanStream(chunks: Buffer[], fn: Scanner): Scanned {
  const pf = new PartialFrame();
  const ends: number[] = [];
  let fed = 0;
  let keptAt = 0; // absolute offset of the bytes kept in pf
  for (const c of chunks) {
    const chunkAt = fed;
    fed += c.length;
    const b = pf.take(c);
    if (b === null) continue;
    const base = b === c ? chunkAt : keptAt;
    let at = 0;
    while (at < b.length) {
      const r = fn(b, at);
      if (r === INCOMPLETE) {
        pf.keep(b, at);
        keptAt = base + at;
        break;
      }
      if (r === INVALID) return { ends, invalidAt: base + at };
      const end = r === EMPTY ? scan.need : r;
      assert.ok(end > at && end <= b.length, `frame end ${end} outside (${at}, ${b.length}]`);
      ends.push(base + end);
      at = end;
    }
  }
  return { ends, invalidAt: null };
}

const TOKENS = ['*', '$', '+', '-', ':', '\r\n', '\r\n', '\r', '\n', '0', '1', '2', '3', '-1', '10', ' ', 'GET', 'k'];
const soup = fc
  .array(
    fc.oneof(
      fc.constantFrom(...TOKENS),
      fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
    ),
    { maxLength: 48 },
  )
  .map((t) => Buffer.from(t.join(''), 'latin1'));
// A command name of letters (the scanner refuses others, e.g. an empty one: the client is then not multiplexed),
// then arbitrary arguments.
const commands = fc
  .array(fc.tuple(fc.stringMatching(/^[a-zA-Z]{1,8}$/), fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 })), {
    minLength: 1,
    maxLength: 4,
  })
  .map((cs) => cs.map(([name, args]) => encodeCommand([name, ...args])));
const leaf: fc.Arbitrary<Out> = fc.oneof(
  fc.constant(R.ok),
  fc.string({ maxLength: 8 }).map(R.bulk),
  fc.integer().map(R.int),
  fc.constant(R.null),
  fc.string({ maxLength: 8 }).map((s) => R.error(`ERR ${s.replace(/[\r\n]/g, ' ')}`)),
);
const replies = fc
  .array(fc.oneof(leaf, fc.array(leaf, { maxLength: 4 }).map(R.array)), { minLength: 1, maxLength: 4 })
  .map((fs) => fs.map((f) => encode(f, 2)));
const cuts = fc.array(fc.nat({ max: 200 }), { maxLength: 8 });

const cumulative = (parts: Buffer[]): number[] => {
  let n = 0;
  return parts.map((p) => (n += p.length));
};

void describe('proxy mux frame scanners (fuzz)', () => {
  for (const [name, fn] of [
    ['scanRequest', scanRequest],
    ['scanReply', scanReply],
  ] as const) {
    void test(`proxy frames fuzz - ${name}: never throws, and the frames do not depend on how reads cut the stream`, () => {
      fc.assert(
        fc.property(
          fc.oneof(
            soup,
            fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
          ),
          cuts,
          (b, at) => {
            const whole = scanStream([b], fn);
            assert.deepEqual(scanStream(chunk(b, at), fn), whole);
            assert.deepEqual(scanStream(chunk(b, 'bytes'), fn), whole);
          },
        ),
        { numRuns: 3000 },
      );
    });
  }

  for (const [what, gen, fn] of [
    ['encoded commands', commands, scanRequest],
    ['encoded RESP2 replies', replies, scanReply],
  ] as const) {
    void test(`proxy frames fuzz - ${what} are split exactly at their boundaries, however they are read`, () => {
      fc.assert(
        fc.property(gen, cuts, (parts, at) => {
          const b = Buffer.concat(parts);
          const want: Scanned = { ends: cumulative(parts), invalidAt: null };
          assert.deepEqual(scanStream([b], fn), want);
          assert.deepEqual(scanStream(chunk(b, at), fn), want);
        }),
        { numRuns: 1000 },
      );
    });
  }

  void test('proxy frames fuzz - ReplyScanner (streaming, no buffering) finds the same reply ends as scanReply', () => {
    const streamEnds = (chunks: Buffer[]): Scanned => {
      const rs = new ReplyScanner();
      const ends: number[] = [];
      let off = 0;
      for (const c of chunks) {
        let at = 0;
        while (at < c.length) {
          const e = rs.advance(c, at, 1);
          if (e === INVALID) return { ends, invalidAt: -1 };
          if (rs.done === 1) ends.push(off + e);
          at = e;
        }
        off += c.length;
      }
      return { ends, invalidAt: null };
    };
    fc.assert(
      fc.property(replies, cuts, (parts, at) => {
        const b = Buffer.concat(parts);
        const want: Scanned = { ends: cumulative(parts), invalidAt: null };
        assert.deepEqual(streamEnds([b]), want);
        assert.deepEqual(streamEnds(chunk(b, at)), want);
        assert.deepEqual(streamEnds(chunk(b, 'bytes')), want);
      }),
      { numRuns: 1000 },
    );
    // Arbitrary bytes: never throws, and what it accepts as complete replies scanReply accepts too.
    fc.assert(
      fc.property(soup, cuts, (b, at) => {
        const got = streamEnds(chunk(b, at));
        const whole = scanStream([b], scanReply);
        const n = Math.min(got.ends.length, whole.ends.length);
        assert.deepEqual(got.ends.slice(0, n), whole.ends.slice(0, n));
      }),
      { numRuns: 3000 },
    );
  });

  void test('proxy frames fuzz - a request the scanner accepts is exactly one command to the RESP decoder', () => {
    fc.assert(
      fc.property(soup, (b) => {
        const r = scanRequest(b, 0);
        if (r < 0) return;
        const cmds = new CommandDecoder().push(b.subarray(0, r));
        assert.equal(cmds.length, 1, `${JSON.stringify(b.subarray(0, r).toString('latin1'))} -> ${cmds.length}`);
      }),
      { numRuns: 5000 },
    );
  });
});
