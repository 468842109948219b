// Property tests: decode(encode(v)) for arbitrary nested values in RESP3 and RESP2 (with Redis's downgrades),
// under random chunkings; commands through encodeCommand -> CommandDecoder.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CommandDecoder,
  RespErrorReply,
  RespPush,
  RespVerbatim,
  encode,
  encodeCommand,
  encodeCommandText,
  formatDouble,
  type Out,
  type Proto,
  type Reply,
} from '../../src/resp/index.js';
import { chunk, decodeReplies } from './resp-helpers.js';

const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ maxLength: 20 }),
  fc.constantFrom('', 'OK', '\r\n'),
);

const outArb: fc.Arbitrary<Out> = fc.letrec<{ out: Out }>((tie) => ({
  out: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ t: fc.constant('simple' as const), v: text }),
    fc.record({ t: fc.constant('error' as const), v: text }),
    fc.record({
      t: fc.constant('int' as const),
      v: fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })),
    }),
    fc.record({
      t: fc.constant('bulk' as const),
      v: fc.oneof(
        text,
        fc.uint8Array({ maxLength: 100 }).map((a) => Buffer.from(a)),
      ),
    }),
    fc.constant({ t: 'null' as const }),
    fc.constant({ t: 'nullarray' as const }),
    fc.record({ t: fc.constant('bool' as const), v: fc.boolean() }),
    fc.record({ t: fc.constant('double' as const), v: fc.double() }),
    fc.record({ t: fc.constant('bignum' as const), v: fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }) }),
    fc.record({ t: fc.constant('verbatim' as const), format: fc.constantFrom('txt', 'mkd'), v: text }),
    fc.record({ t: fc.constant('array' as const), v: fc.array(tie('out'), { maxLength: 5 }) }),
    fc.record({ t: fc.constant('set' as const), v: fc.array(tie('out'), { maxLength: 5 }) }),
    fc.record({ t: fc.constant('push' as const), v: fc.array(tie('out'), { maxLength: 5 }) }),
    fc.record({ t: fc.constant('map' as const), v: fc.array(fc.tuple(tie('out'), tie('out')), { maxLength: 4 }) }),
  ),
})).out;

const lineSafe = (s: string): string => s.replace(/[\r\n]/g, ' ');
const bulkValue = (v: string | Buffer, buffers: boolean): Reply =>
  buffers ? (typeof v === 'string' ? Buffer.from(v) : v) : typeof v === 'string' ? v : v.toString('utf8');

/** What a client decoding `o` sent over `proto` should see. */
function expected(o: Out, proto: Proto, buffers: boolean): Reply {
  const rec = (x: Out): Reply => expected(x, proto, buffers);
  switch (o.t) {
    case 'simple':
      return lineSafe(o.v);
    case 'error':
      return new RespErrorReply(lineSafe(o.v));
    case 'int': {
      const big = BigInt(o.v);
      return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    }
    case 'bulk':
      return bulkValue(o.v, buffers);
    case 'null':
    case 'nullarray':
      return null;
    case 'bool':
      return proto === 3 ? o.v : o.v ? 1 : 0;
    case 'double':
      return proto === 3 ? Number(o.v) : bulkValue(formatDouble(o.v), buffers);
    case 'bignum':
      return proto === 3 ? o.v : bulkValue(o.v.toString(), buffers);
    case 'verbatim':
      return proto === 3 ? new RespVerbatim(o.format, o.v) : bulkValue(o.v, buffers);
    case 'array':
      return o.v.map(rec);
    case 'set':
      return proto === 3 ? new Set(o.v.map(rec)) : o.v.map(rec);
    case 'push':
      return proto === 3 ? new RespPush(o.v.map(rec)) : o.v.map(rec);
    case 'map':
      return proto === 3 ? new Map(o.v.map(([k, v]) => [rec(k), rec(v)])) : o.v.flatMap(([k, v]) => [rec(k), rec(v)]);
    case 'raw':
      throw new Error('raw is not generated');
  }
}

// Node's deepStrictEqual compares -0 and 0 as different and NaN as equal, which is what a double round trip needs.
function checkRoundTrip(values: Out[], proto: Proto, buffers: boolean, cuts: number[]): void {
  const wire = Buffer.concat(values.map((v) => encode(v, proto)));
  const want = values.map((v) => expected(v, proto, buffers));
  assert.deepStrictEqual(decodeReplies(wire, 'whole', { returnBuffers: buffers }), want);
  assert.deepStrictEqual(
    decodeReplies(
      wire,
      cuts.map((c) => c % (wire.length + 1)),
      { returnBuffers: buffers },
    ),
    want,
  );
}

void describe('resp - round trip', () => {
  for (const proto of [3, 2] as const) {
    for (const buffers of [false, true]) {
      void test(`resp - decode(encode(v)) round-trips in RESP${proto}${buffers ? ' with returnBuffers' : ''}`, () => {
        fc.assert(
          fc.property(
            fc.array(outArb, { minLength: 1, maxLength: 4 }),
            fc.array(fc.nat(), { maxLength: 10 }),
            (vals, cuts) => checkRoundTrip(vals, proto, buffers, cuts),
          ),
          { numRuns: 1500 },
        );
      });
    }
  }

  void test('resp - round trip byte by byte for a sample of values', () => {
    fc.assert(
      fc.property(outArb, fc.constantFrom<Proto>(2, 3), (v, proto) => {
        const wire = encode(v, proto);
        assert.deepStrictEqual(decodeReplies(wire, 'bytes'), [expected(v, proto, false)]);
      }),
      { numRuns: 300 },
    );
  });

  void test('resp - commands round-trip through encodeCommand and CommandDecoder', () => {
    const arg = fc.oneof(
      fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.integer(),
    );
    fc.assert(
      fc.property(
        fc.array(fc.array(arg, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (cmds, cuts) => {
          const wire = Buffer.concat(cmds.map((c) => encodeCommand(c)));
          const want = cmds.map((c) => c.map((a) => (Buffer.isBuffer(a) ? a : Buffer.from(String(a)))));
          const d = new CommandDecoder();
          const got = chunk(
            wire,
            cuts.map((c) => c % (wire.length + 1)),
          ).flatMap((c) => d.push(c));
          assert.deepStrictEqual(got, want);
          assert.equal(d.buffered, 0);
        },
      ),
      { numRuns: 1500 },
    );
  });

  void test('resp - encodeCommandText is encodeCommand as UTF-8 text (links write it as a string)', () => {
    const arg = fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ maxLength: 20 }), fc.integer());
    fc.assert(
      fc.property(fc.array(arg, { minLength: 1, maxLength: 8 }), (cmd) => {
        assert.deepStrictEqual(Buffer.from(encodeCommandText(cmd), 'utf8'), encodeCommand(cmd));
      }),
      { numRuns: 2000 },
    );
    // A lone surrogate is counted and written as U+FFFD (3 bytes) both ways.
    assert.deepStrictEqual(Buffer.from(encodeCommandText(['\ud800x']), 'utf8'), encodeCommand(['\ud800x']));
  });
});
