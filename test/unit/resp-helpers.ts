// Shared helpers for the RESP unit tests: feeding decoders with different chunkings and a seeded PRNG.
import {
  CommandDecoder,
  ReplyDecoder,
  type Command,
  type Reply,
  type ReplyDecoderOptions,
} from '../../src/resp/index.js';

export type Chunking = 'whole' | 'bytes' | number[];

/** Splits `input` into chunks: whole, byte by byte, or at the given (sorted or unsorted) cut points. */
export function chunk(input: Buffer, how: Chunking): Buffer[] {
  if (how === 'whole') return [input];
  if (how === 'bytes') return [...input].map((b) => Buffer.from([b]));
  const cuts = [...new Set(how.map((c) => Math.max(0, Math.min(input.length, c))))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of cuts) {
    out.push(input.subarray(prev, c));
    prev = c;
  }
  out.push(input.subarray(prev));
  return out;
}

export function decodeReplies(input: Buffer, how: Chunking, opts: ReplyDecoderOptions = {}): Reply[] {
  const d = new ReplyDecoder(opts);
  const out: Reply[] = [];
  for (const c of chunk(input, how)) out.push(...d.push(c));
  return out;
}

export function decodeCommands(input: Buffer, how: Chunking): Command[] {
  const d = new CommandDecoder();
  const out: Command[] = [];
  for (const c of chunk(input, how)) out.push(...d.push(c));
  return out;
}

/** Small deterministic PRNG (mulberry32) for reproducible random chunkings. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomCuts(len: number, rnd: () => number): number[] {
  const n = Math.floor(rnd() * Math.min(len, 8));
  const cuts: number[] = [];
  for (let i = 0; i < n; i++) cuts.push(Math.floor(rnd() * (len + 1)));
  return cuts;
}
