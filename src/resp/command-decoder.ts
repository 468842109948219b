// CommandDecoder: the incremental decoder of what a Redis server reads (multibulk and inline commands), with
// Redis 7.0's acceptance rules, limits and error texts. Takes socket chunks at any boundary; returns the completed
// commands (arrays of Buffers). Keeps only the bytes it has received (a declared length never preallocates).
// Malformed or over-limit input raises RespProtocolError; the caller closes the link. Pure: no I/O, no timers.
// Also the home of what reply-decoder.ts shares (default limits, parseLL, copyOf, Pending): called from another
// module they cost this decoder's loop 9-30% (measured; presumably V8 loads and checks an imported binding on
// every use), and the reply decoder calls them only off its fast paths.

import { RespProtocolError } from './types.js';
import type { Command, DecoderLimits } from './types.js';
import { sdsSplitArgs } from './splitargs.js';

// The byte values are module-local on purpose: imported, they made the decoders' hot loops 2-3x slower (measured).
const CR = 13;
const LF = 10;
const STAR = 42; // *
const DOLLAR = 36; // $
const MINUS = 45; // -

/**
 * The default limits of both decoders. Server side they are Redis 7.0's (networking.c): proto-max-bulk-len,
 * multibulk count, PROTO_INLINE_MAX_SIZE; the multibulk count limit is INT_MAX as in 7.0.15 (checked: `*2000000`
 * waits for elements there; the 1024*1024 limit is from Redis 2.x). Client side a reply aggregate may
 * legitimately be huge (KEYS, SMEMBERS), so the count limit is INT_MAX as in hiredis. It costs nothing: memory
 * only grows with bytes received, elements and aggregates are not preallocated.
 */
export const defaultLimits: DecoderLimits = Object.freeze({
  maxBulkLength: 512 * 1024 * 1024,
  maxMultibulkLength: 2 ** 31 - 1,
  maxInlineLength: 64 * 1024,
  maxDepth: 128,
});

// Copies of small slices let the (typically 64 KB) socket chunk they came from be garbage collected.
export function copyOf(buf: Buffer, start: number, end: number): Buffer {
  const n = end - start;
  const b = Buffer.allocUnsafe(n);
  buf.copy(b, 0, start, end);
  return b;
}

/**
 * Redis string2ll() over bytes: optional '-', no '+', no leading zeros, no spaces, at least one digit.
 * Returns NaN when invalid; Infinity for a well-formed number too large to matter (every caller compares it
 * against a limit well below 2^53).
 */
export function parseLL(buf: Buffer, start: number, end: number): number {
  if (start >= end) return NaN;
  let i = start;
  let neg = false;
  if (buf[i] === MINUS) {
    neg = true;
    i++;
    if (i === end) return NaN;
  }
  const first = buf[i]!;
  if (first === 48) return end - start === 1 ? 0 : NaN; // "0" only; "-0" and "01" are invalid
  if (first < 49 || first > 57) return NaN;
  let v = 0;
  for (; i < end; i++) {
    const c = buf[i]! - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  if (v > Number.MAX_SAFE_INTEGER) v = Infinity;
  return neg ? -v : v;
}

/**
 * Accumulates the unfinished tail of a frame across chunks as a list of slices (no per-chunk re-copy).
 * Small tails are copied so the socket chunk they came from can be freed.
 */
export class Pending {
  parts: Buffer[] = [];
  length = 0;
  add(buf: Buffer, start: number, end: number): void {
    if (end <= start) return;
    const slice =
      end - start < 4096 || end - start < buf.length >> 1 ? copyOf(buf, start, end) : buf.subarray(start, end);
    this.parts.push(slice);
    this.length += slice.length;
  }
  lastByte(): number {
    const last = this.parts[this.parts.length - 1];
    return last === undefined ? -1 : last[last.length - 1]!;
  }
  /** Joins the pending slices with head bytes of `chunk` and clears the accumulator. */
  take(chunk: Buffer, headBytes: number): Buffer;
  take(chunk: Buffer, headBytes: number, join: false): Buffer[];
  take(chunk: Buffer, headBytes: number, join = true): Buffer | Buffer[] {
    if (headBytes > 0) this.parts.push(chunk.subarray(0, headBytes));
    const parts = this.parts;
    this.parts = [];
    this.length = 0;
    if (!join) return parts;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
}

/**
 * Split an inline command line the way Redis's sdssplitargs() does. The line is a C string there, so a NUL
 * byte ends it. Returns null for unbalanced quotes (or a closing quote followed by a non-space).
 */
export function splitInlineArgs(line: Buffer): Buffer[] | null {
  const nul = line.indexOf(0);
  return sdsSplitArgs(line, nul === -1 ? line.length : nul);
}

// CommandDecoder modes.
const M_IDLE = 0; // at the first byte of a command
const M_INLINE = 1; // reading an inline line up to '\n'
const M_MBULK = 2; // reading the "*<count>\r\n" line
const M_BULKHDR = 3; // reading a "$<len>\r\n" line
const M_BULKBODY = 4; // reading <len> bytes + 2

/**
 * Server-side decoder for client commands, matching Redis 7.0 (networking.c processMultibulkBuffer /
 * processInlineBuffer): same acceptance rules, same error texts. Like Redis it does not check that the two
 * bytes after a bulk or after the '\r' of a header are really "\r\n" — it skips them.
 */
export class CommandDecoder {
  private readonly limits: DecoderLimits;
  private mode = M_IDLE;
  private readonly pending = new Pending();
  private args: Buffer[] = [];
  private argsBytes = 0;
  private argsLeft = 0;
  private bulkLen = 0;
  /**
   * Set while the connection has not authenticated (requirepass / ACL). Redis 7.0 then refuses multibulk
   * counts above 10 and bulk lengths above 16384 (CVE-2021-32675). Note: takes effect for headers parsed after
   * it changes; commands pipelined in the same chunk as AUTH were already parsed under the old setting.
   */
  authRequired = false;

  constructor(limits: Partial<DecoderLimits> = {}) {
    this.limits = { ...defaultLimits, ...limits };
  }

  /** Bytes held for the command being decoded (partial line or body plus completed arguments). */
  get buffered(): number {
    return this.pending.length + this.argsBytes;
  }

  /** Feed bytes; returns the commands completed by them. Throws RespProtocolError (then discard the decoder). */
  push(chunk: Buffer): Command[] {
    const out: Command[] = [];
    let pos = 0;
    if (this.pending.length > 0) {
      const head = this.resume(chunk);
      if (head < 0) return out;
      const joined = this.pending.take(chunk, head);
      this.run(joined, 0, out, true);
      if (this.pending.length > 0) throw new Error('CommandDecoder: resumed unit did not complete');
      pos = head;
    }
    this.run(chunk, pos, out);
    return out;
  }

  /** How many head bytes of `chunk` complete the pending unit, or -1 (chunk absorbed, still incomplete). */
  private resume(chunk: Buffer): number {
    const p = this.pending;
    switch (this.mode) {
      case M_INLINE: {
        const nl = chunk.indexOf(LF);
        if (nl !== -1) return nl + 1;
        p.add(chunk, 0, chunk.length);
        // A trailing '\r' may be the start of the line's "\r\n": not counted, as in run().
        if (p.length - (p.lastByte() === CR ? 1 : 0) > this.limits.maxInlineLength) {
          throw new RespProtocolError('Protocol error: too big inline request');
        }
        return -1;
      }
      case M_MBULK:
      case M_BULKHDR: {
        if (p.lastByte() === CR) return chunk.length > 0 ? 1 : -1;
        const cr = chunk.indexOf(CR);
        if (cr !== -1 && cr + 1 < chunk.length) return cr + 2;
        p.add(chunk, 0, chunk.length);
        if (cr === -1 && p.length > this.limits.maxInlineLength) {
          throw new RespProtocolError(
            this.mode === M_MBULK
              ? 'Protocol error: too big mbulk count string'
              : 'Protocol error: too big bulk count string',
          );
        }
        return -1;
      }
      case M_BULKBODY: {
        const need = this.bulkLen + 2 - p.length;
        if (chunk.length >= need) return need;
        p.add(chunk, 0, chunk.length);
        return -1;
      }
      default:
        throw new Error('CommandDecoder: pending bytes in idle mode');
    }
  }

  /** `owned`: buf is a private join of pending slices, so a value filling it exactly can be a view of it. */
  private run(buf: Buffer, start: number, out: Command[], owned = false): void {
    let pos = start;
    const len = buf.length;
    const limits = this.limits;
    while (pos < len) {
      switch (this.mode) {
        case M_IDLE:
          this.mode = buf[pos] === STAR ? M_MBULK : M_INLINE;
          break;
        case M_INLINE: {
          const nl = buf.indexOf(LF, pos);
          if (nl === -1) {
            if (len - pos - (buf[len - 1] === CR ? 1 : 0) > limits.maxInlineLength) {
              throw new RespProtocolError('Protocol error: too big inline request');
            }
            this.pending.add(buf, pos, len);
            return;
          }
          const end = nl > pos && buf[nl - 1] === CR ? nl - 1 : nl;
          if (end - pos > limits.maxInlineLength) throw new RespProtocolError('Protocol error: too big inline request');
          const argv = splitInlineArgs(buf.subarray(pos, end));
          if (argv === null) throw new RespProtocolError('Protocol error: unbalanced quotes in request');
          if (argv.length > 0) out.push(argv);
          pos = nl + 1;
          this.mode = M_IDLE;
          break;
        }
        case M_MBULK: {
          let cr = pos + 1;
          while (cr < len && buf[cr] !== CR) cr++;
          if (cr + 1 >= len) {
            if (cr >= len && len - pos > limits.maxInlineLength) {
              throw new RespProtocolError('Protocol error: too big mbulk count string');
            }
            this.pending.add(buf, pos, len);
            return;
          }
          const count = parseLL(buf, pos + 1, cr);
          if (Number.isNaN(count) || count > limits.maxMultibulkLength) {
            throw new RespProtocolError('Protocol error: invalid multibulk length');
          }
          if (count > 10 && this.authRequired) {
            throw new RespProtocolError('Protocol error: unauthenticated multibulk length');
          }
          pos = cr + 2;
          if (count <= 0) {
            this.mode = M_IDLE; // "*0" and "*-1" are empty commands: skipped, as Redis does
          } else {
            this.argsLeft = count;
            this.args = [];
            this.argsBytes = 0;
            this.mode = M_BULKHDR;
          }
          break;
        }
        case M_BULKHDR: {
          let cr = pos;
          while (cr < len && buf[cr] !== CR) cr++;
          if (cr + 1 >= len) {
            if (cr >= len && len - pos > limits.maxInlineLength) {
              throw new RespProtocolError('Protocol error: too big bulk count string');
            }
            this.pending.add(buf, pos, len);
            return;
          }
          const c = buf[pos]!;
          if (c !== DOLLAR) {
            const shown = c === CR || c === LF ? ' ' : String.fromCharCode(c);
            throw new RespProtocolError(`Protocol error: expected '$', got '${shown}'`);
          }
          const n = parseLL(buf, pos + 1, cr);
          if (Number.isNaN(n) || n < 0 || n > limits.maxBulkLength) {
            throw new RespProtocolError('Protocol error: invalid bulk length');
          }
          if (n > 16384 && this.authRequired)
            throw new RespProtocolError('Protocol error: unauthenticated bulk length');
          this.bulkLen = n;
          pos = cr + 2;
          this.mode = M_BULKBODY;
          break;
        }
        case M_BULKBODY: {
          const n = this.bulkLen;
          if (len - pos < n + 2) {
            this.pending.add(buf, pos, len);
            return;
          }
          this.args.push(owned && pos === 0 && len === n + 2 ? buf.subarray(0, n) : copyOf(buf, pos, pos + n));
          this.argsBytes += n;
          pos += n + 2;
          if (--this.argsLeft === 0) {
            out.push(this.args);
            this.args = [];
            this.argsBytes = 0;
            this.mode = M_IDLE;
          } else {
            this.mode = M_BULKHDR;
          }
          break;
        }
        default:
          throw new Error(`CommandDecoder: bad mode ${this.mode}`);
      }
    }
  }
}
