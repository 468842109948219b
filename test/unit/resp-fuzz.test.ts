// Fuzz: arbitrary bytes fed to both decoders (whole and randomly chunked) either decode or raise
// RespProtocolError — never another exception, never a hang — and the result does not depend on chunking.
// Memory: the bytes a decoder holds never exceed the bytes it was fed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CommandDecoder,
  ReplyDecoder,
  RespProtocolError,
  encode,
  encodeCommand,
  R,
  type Out,
} from '../../src/resp/index.js';
import { chunk } from './resp-helpers.js';

const TOKENS = [
  '*',
  '$',
  '%',
  '~',
  '>',
  '|',
  '_',
  '#',
  '(',
  '=',
  '!',
  ':',
  ',',
  '+',
  '-',
  '\r\n',
  '\r\n',
  '\r\n',
  '\r',
  '\n',
  '0',
  '1',
  '2',
  '3',
  '-1',
  '10',
  '-0',
  '01',
  't',
  'f',
  'inf',
  'nan',
  '1e5',
  '.',
  '"',
  "'",
  '\\',
  '\\x4',
  '\\xff',
  'PING',
  'txt:',
  ' ',
  '\t',
  '\x00',
  '*1\r\n',
  '$3\r\n',
  '%1\r\n',
  '|1\r\n',
];

const tokenSoup = fc
  .array(
    fc.oneof(
      fc.constantFrom(...TOKENS),
      fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
    ),
    { maxLength: 40 },
  )
  .map((t) => Buffer.from(t.join(''), 'latin1'));

const leaf: fc.Arbitrary<Out> = fc.oneof(
  fc.constant(R.ok),
  fc.string({ maxLength: 8 }).map(R.bulk),
  fc.integer().map(R.int),
  fc.constant(R.null),
  fc.double().map(R.double),
  fc.boolean().map(R.bool),
);
const frame = fc.oneof(
  leaf,
  fc.array(leaf, { maxLength: 4 }).map(R.array),
  fc.array(fc.tuple(leaf, leaf), { maxLength: 3 }).map(R.map),
  fc.array(leaf, { maxLength: 3 }).map(R.set),
);
const validBytes = fc.oneof(
  fc
    .tuple(fc.array(frame, { minLength: 1, maxLength: 3 }), fc.constantFrom<2 | 3>(2, 3))
    .map(([fs, p]) => Buffer.concat(fs.map((f) => encode(f, p)))),
  fc
    .array(fc.array(fc.string({ maxLength: 6 }), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 })
    .map((cs) => Buffer.concat(cs.map((c) => encodeCommand(c)))),
  fc
    .array(fc.string({ maxLength: 12 }), { minLength: 1, maxLength: 3 })
    .map((ls) => Buffer.from(ls.join('\r\n') + '\r\n')),
);
const mutation = fc.record({
  at: fc.nat(),
  op: fc.integer({ min: 0, max: 2 }),
  byte: fc.integer({ min: 0, max: 255 }),
});
const mutated = fc.tuple(validBytes, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([buf, muts]) => {
  const bytes = [...buf];
  for (const m of muts) {
    const i = bytes.length === 0 ? 0 : m.at % bytes.length;
    if (m.op === 0) bytes[i] = m.byte;
    else if (m.op === 1) bytes.splice(i, 0, m.byte);
    else bytes.splice(i, 1);
  }
  return Buffer.from(bytes);
});

const anyBytes = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
  tokenSoup,
  mutated,
);

type Outcome = { ok: true; values: unknown[] } | { ok: false };

interface Decoder {
  push(c: Buffer): unknown[];
  readonly buffered: number;
}

function feed(make: () => Decoder, chunks: Buffer[]): Outcome {
  const d = make();
  const values: unknown[] = [];
  let fed = 0;
  try {
    for (const c of chunks) {
      fed += c.length;
      values.push(...d.push(c));
      assert.ok(d.buffered <= fed, `buffered ${d.buffered} > fed ${fed}`);
    }
    return { ok: true, values };
  } catch (e) {
    if (e instanceof RespProtocolError) return { ok: false };
    throw e;
  }
}

const decoders: Array<[string, () => Decoder]> = [
  ['command', () => new CommandDecoder()],
  ['reply', () => new ReplyDecoder()],
  [
    'reply (buffers, small limits)',
    () => new ReplyDecoder({ returnBuffers: true, limits: { maxDepth: 3, maxMultibulkLength: 5, maxBulkLength: 20 } }),
  ],
];

void describe('resp - fuzz', () => {
  void test(
    'resp - 100k arbitrary byte strings decode or raise RespProtocolError, independent of chunking',
    { timeout: 120_000 },
    () => {
      let inputs = 0;
      fc.assert(
        fc.property(anyBytes, fc.array(fc.nat(), { maxLength: 6 }), (input, cuts) => {
          inputs++;
          const pieces = chunk(
            input,
            cuts.map((c) => c % (input.length + 1)),
          );
          for (const [name, make] of decoders) {
            const whole = feed(make, [input]);
            const split = feed(make, pieces);
            assert.equal(split.ok, whole.ok, `${name}: outcome depends on chunking`);
            if (whole.ok && split.ok)
              assert.deepStrictEqual(split.values, whole.values, `${name}: values depend on chunking`);
          }
        }),
        { numRuns: 100_000, seed: 20261126 },
      );
      assert.equal(inputs, 100_000);
    },
  );

  void test('resp - fuzz byte-by-byte feeding agrees with one chunk', () => {
    fc.assert(
      fc.property(fc.oneof(tokenSoup, mutated), (input) => {
        for (const [name, make] of decoders) {
          const whole = feed(make, [input]);
          const bytes = feed(make, chunk(input, 'bytes'));
          assert.equal(bytes.ok, whole.ok, name);
          if (whole.ok && bytes.ok) assert.deepStrictEqual(bytes.values, whole.values, name);
        }
      }),
      { numRuns: 5_000, seed: 7 },
    );
  });
});
