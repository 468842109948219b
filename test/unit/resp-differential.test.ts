// Differential check: our ReplyDecoder against the redis-parser package (the parser behind ioredis and
// node-redis v3) on generated RESP2 reply streams, with random chunkings fed identically to both.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import RedisParser from 'redis-parser';
import { R, ReplyDecoder, RespErrorReply, encode, type Out, type Reply } from '../../src/resp/index.js';
import { chunk } from './resp-helpers.js';

type Norm = string | number | null | { error: string } | Norm[];

function normOurs(r: Reply): Norm {
  if (r === null || typeof r === 'string' || typeof r === 'number') return r;
  if (r instanceof RespErrorReply) return { error: r.message };
  if (Array.isArray(r)) return r.map(normOurs);
  throw new Error(`unexpected RESP2 reply ${String(r)}`);
}

function normTheirs(r: unknown): Norm {
  if (r === null || typeof r === 'string' || typeof r === 'number') return r;
  if (r instanceof Error) return { error: r.message };
  if (Array.isArray(r)) return r.map(normTheirs);
  throw new Error(`unexpected redis-parser reply ${String(r)}`);
}

function viaRedisParser(chunks: Buffer[]): Norm[] {
  const out: Norm[] = [];
  const parser = new RedisParser({
    returnReply: (r: unknown) => out.push(normTheirs(r)),
    returnError: (e: Error) => out.push({ error: e.message }),
    returnFatalError: (e: Error) => {
      throw e;
    },
  });
  for (const c of chunks) parser.execute(c);
  return out;
}

function viaOurs(chunks: Buffer[]): Norm[] {
  const d = new ReplyDecoder();
  return chunks.flatMap((c) => d.push(c).map(normOurs));
}

const line = fc.string({ unit: 'binary', maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, '_'));
const resp2: fc.Arbitrary<Out> = fc.letrec<{ out: Out }>((tie) => ({
  out: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    line.map(R.simple),
    line.map((s) => R.error('ERR ' + s)),
    fc.maxSafeInteger().map(R.int),
    fc.integer({ min: -1000, max: 1000 }).map(R.int),
    fc.string({ unit: 'binary', maxLength: 40 }).map(R.bulk),
    fc.string({ unit: 'binary', minLength: 1000, maxLength: 3000 }).map(R.bulk),
    fc.constant(R.null),
    fc.constant(R.nullarray),
    fc.array(tie('out'), { maxLength: 6 }).map(R.array),
  ),
})).out;

void describe('resp - differential against redis-parser', () => {
  void test('resp - RESP2 reply streams decode like redis-parser under random chunkings', () => {
    fc.assert(
      fc.property(
        fc.array(resp2, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (frames, cuts) => {
          const wire = Buffer.concat(frames.map((f) => encode(f, 2)));
          const chunks = chunk(
            wire,
            cuts.map((c) => c % (wire.length + 1)),
          );
          const theirs = viaRedisParser(chunks);
          assert.equal(theirs.length, frames.length);
          assert.deepStrictEqual(viaOurs(chunks), theirs);
        },
      ),
      { numRuns: 3000, seed: 42 },
    );
  });

  void test('resp - large bulk with multibyte characters split mid-character decodes like redis-parser', () => {
    const text = 'é€😀'.repeat(40_000);
    const wire = encode(R.array([R.bulk(text), R.int(1)]), 2);
    for (const cut of [5, 13, 14, 15, 65_536, 200_001]) {
      const chunks = chunk(wire, [cut, cut + 70_001]);
      const theirs = viaRedisParser(chunks);
      assert.deepStrictEqual(theirs, [[text, 1]]);
      assert.deepStrictEqual(viaOurs(chunks), theirs);
    }
  });
});
