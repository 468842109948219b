// ReplyDecoder: the incremental decoder of what a client reads (RESP2 and RESP3 replies), results as redis-parser
// gives them for RESP2 (see Reply in types.ts). Takes socket chunks at any boundary; returns (or calls back with)
// the completed top-level replies. Keeps only the bytes it has received (a declared length never preallocates)
// and checks the "\r\n" after every bulk body. Malformed or over-limit input raises RespProtocolError; the caller
// closes the link. Pure: no I/O, no timers.

import { StringDecoder } from 'node:string_decoder';
import { RespErrorReply, RespProtocolError, RespPush, RespVerbatim } from './types.js';
import type { DecoderLimits, Reply } from './types.js';
import { Pending, copyOf, defaultLimits, parseLL } from './command-decoder.js';

// The byte values are module-local on purpose: imported (from command-decoder.ts), they made the hot loops below
// 2-3x slower (measured; presumably V8 loads and checks an imported binding on every use).
const CR = 13;
const LF = 10;
const STAR = 42; // *
const DOLLAR = 36; // $
const MINUS = 45; // -
const PLUS = 43; // +
const COLON = 58; // :

const K_ARRAY = 0;
const K_MAP = 1;
const K_SET = 2;
const K_PUSH = 3;
const K_ATTR = 4;

interface Aggregate {
  kind: number;
  remaining: number; // elements still expected (maps and attributes count keys and values)
  items: Reply[];
}

export interface ReplyDecoderOptions {
  /** Bulk strings as Buffer instead of string (simple strings stay strings). */
  returnBuffers?: boolean;
  limits?: Partial<DecoderLimits>;
  /** Called with each RESP3 attribute map (`|`); the attribute is otherwise discarded. */
  onAttribute?: (attrs: Map<Reply, Reply>) => void;
  /**
   * Receive each top-level reply through this callback instead of the array returned by push() (which is
   * then always empty). Saves one array per push on high-rate streams; the redis-parser calling convention.
   */
  onReply?: (reply: Reply) => void;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const VALID_TYPE = new Uint8Array(256);
for (const c of '$!=+-:*%~>|_#,(') VALID_TYPE[c.charCodeAt(0)] = 1;
const DOUBLE_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const BIGNUM_RE = /^[+-]?\d+$/;

/**
 * Client-side decoder for RESP2 and RESP3 replies. Results mirror redis-parser for RESP2 (see Reply in
 * types.ts). Unlike redis-parser it checks the "\r\n" after every bulk body, so a desynchronised stream is
 * reported instead of silently misread.
 */
export class ReplyDecoder {
  private readonly limits: DecoderLimits;
  private readonly returnBuffers: boolean;
  private readonly onAttribute: ((attrs: Map<Reply, Reply>) => void) | undefined;
  private readonly pending = new Pending();
  private readonly stack: Aggregate[] = [];
  /** -1: reading a line; otherwise the body length of the bulk/blob error/verbatim being read. */
  private bodyLen = -1;
  private bodyType = 0;
  private out: Reply[] = [];
  private readonly onReply: ((reply: Reply) => void) | undefined;

  constructor(opts: ReplyDecoderOptions = {}) {
    this.limits = { ...defaultLimits, ...(opts.limits ?? {}) };
    this.returnBuffers = opts.returnBuffers === true;
    this.onAttribute = opts.onAttribute;
    this.onReply = opts.onReply;
  }

  /** Bytes held for the incomplete frame tail (completed aggregate elements are not counted). */
  get buffered(): number {
    return this.pending.length;
  }

  /** No reply is partly decoded (nothing buffered, no open aggregate). */
  get idle(): boolean {
    return this.pending.length === 0 && this.stack.length === 0 && this.bodyLen < 0;
  }

  /** Feed bytes; returns the top-level replies completed by them. Throws RespProtocolError. */
  push(chunk: Buffer): Reply[] {
    const out: Reply[] = [];
    this.out = out;
    let pos = 0;
    if (this.pending.length > 0) {
      const head = this.resume(chunk);
      if (head < 0) return out;
      if (this.bodyLen >= 0 && this.bodyType === DOLLAR && !this.returnBuffers) {
        this.finishLargeString(chunk, head);
      } else {
        const joined = this.pending.take(chunk, head);
        this.run(joined, 0, true);
        if (this.pending.length > 0) throw new Error('ReplyDecoder: resumed unit did not complete');
      }
      pos = head;
    }
    this.run(chunk, pos);
    return out;
  }

  private resume(chunk: Buffer): number {
    const p = this.pending;
    if (this.bodyLen >= 0) {
      const need = this.bodyLen + 2 - p.length;
      if (chunk.length >= need) return need;
      p.add(chunk, 0, chunk.length);
      return -1;
    }
    if (p.lastByte() === CR) return chunk.length > 0 ? 1 : -1;
    const cr = chunk.indexOf(CR);
    if (cr !== -1 && cr + 1 < chunk.length) return cr + 2;
    p.add(chunk, 0, chunk.length);
    // Payload so far: minus the type byte and a trailing CR. Same rule as in run(), so chunking cannot matter.
    if (p.length - 1 - (cr === -1 ? 0 : 1) > this.limits.maxBulkLength) throw tooBigLine();
    return -1;
  }

  /**
   * A bulk string that spanned several chunks: decode it slice by slice (StringDecoder keeps multi-byte
   * characters split across slices intact) instead of joining the slices into one Buffer first.
   */
  private finishLargeString(chunk: Buffer, head: number): void {
    const parts = this.pending.take(chunk, head, false) as Buffer[];
    const n = this.bodyLen;
    if (byteAt(parts, n) !== CR || byteAt(parts, n + 1) !== LF) throw notTerminated();
    const dec = new StringDecoder('utf8');
    let s = '';
    let left = n;
    for (const part of parts) {
      if (left <= 0) break;
      const piece = part.length <= left ? part : part.subarray(0, left);
      s += dec.write(piece);
      left -= piece.length;
    }
    s += dec.end();
    this.bodyLen = -1;
    this.deliver(s);
  }

  /** Completes the pending bulk body at buf[pos]; returns the position after it, or -1 when still short. */
  private bodyAt(buf: Buffer, pos: number, owned: boolean): number {
    const n = this.bodyLen;
    const end = pos + n;
    if (buf.length - pos < n + 2) {
      this.pending.add(buf, pos, buf.length);
      return -1;
    }
    if (buf[end] !== CR || buf[end + 1] !== LF) throw notTerminated();
    this.bodyLen = -1;
    this.deliver(this.body(buf, pos, end, owned && pos === 0 && buf.length === end + 2));
    return end + 2;
  }

  private run(buf: Buffer, start: number, owned = false): void {
    let pos = start;
    const len = buf.length;
    const stack = this.stack;
    const out = this.out;
    const onReply = this.onReply;
    const limits = this.limits;
    if (this.bodyLen >= 0) {
      pos = this.bodyAt(buf, pos, owned);
      if (pos < 0) return;
    }
    while (pos < len) {
      const type = buf[pos]!;
      // Fast paths for the frequent RESP2 frames with short, canonical headers. Anything else (a sign on a
      // length, a leading zero, a long number, a line split across chunks) takes the general path below,
      // which has the same semantics.
      if (type === COLON) {
        let i = pos + 1;
        let neg = false;
        if (i < len && buf[i] === MINUS) {
          neg = true;
          i++;
        }
        const first = i;
        let n = 0;
        let c = 0;
        while (i < len && (c = buf[i]!) >= 48 && c <= 57) {
          n = n * 10 + c - 48;
          i++;
        }
        if (c === CR && i + 1 < len && buf[i + 1] === LF && i > first && i - first <= 15) {
          const v = neg ? 0 - n : n;
          if (stack.length !== 0) this.deliver(v);
          else if (onReply === undefined) out.push(v);
          else onReply(v);
          pos = i + 2;
          continue;
        }
      } else if (type === DOLLAR || type === STAR) {
        let i = pos + 1;
        const first = i;
        let n = 0;
        let c = 0;
        while (i < len && (c = buf[i]!) >= 48 && c <= 57) {
          n = n * 10 + c - 48;
          i++;
        }
        const nd = i - first;
        if (c === CR && i + 1 < len && buf[i + 1] === LF && nd > 0 && nd <= 15 && (nd === 1 || buf[first] !== 48)) {
          const next = i + 2;
          if (type === DOLLAR) {
            if (n > limits.maxBulkLength) throw new RespProtocolError('Protocol error: invalid bulk length');
            const end = next + n;
            if (end + 2 > len) {
              this.bodyType = DOLLAR;
              this.bodyLen = n;
              this.pending.add(buf, next, len);
              return;
            }
            if (buf[end] !== CR || buf[end + 1] !== LF) throw notTerminated();
            const v = this.returnBuffers ? copyOf(buf, next, end) : utf8(buf, next, end);
            if (stack.length !== 0) this.deliver(v);
            else if (onReply === undefined) out.push(v);
            else onReply(v);
            pos = end + 2;
            continue;
          }
          if (n === 0) {
            this.deliver([]);
          } else {
            if (n > limits.maxMultibulkLength) throw new RespProtocolError('Protocol error: invalid multibulk length');
            if (stack.length >= limits.maxDepth) throw new RespProtocolError('Protocol error: nesting too deep');
            stack.push({ kind: K_ARRAY, remaining: n, items: [] });
          }
          pos = next;
          continue;
        }
      } else if (type === PLUS) {
        let cr = pos + 1;
        while (cr < len && buf[cr] !== CR) cr++;
        if (cr + 1 < len && buf[cr + 1] === LF && cr - pos - 1 <= limits.maxBulkLength) {
          const v = utf8(buf, pos + 1, cr);
          if (stack.length !== 0) this.deliver(v);
          else if (onReply === undefined) out.push(v);
          else onReply(v);
          pos = cr + 2;
          continue;
        }
      }
      // General path.
      if (VALID_TYPE[type] !== 1) throw new RespProtocolError(`Protocol error: unknown reply type byte ${type}`);
      let cr = pos + 1;
      while (cr < len && buf[cr] !== CR) cr++;
      // A line payload is bounded by maxBulkLength (a simple string is no longer than a bulk one could be).
      if ((cr < len ? cr : len) - pos - 1 > limits.maxBulkLength) throw tooBigLine();
      if (cr + 1 >= len) {
        this.pending.add(buf, pos, len);
        return;
      }
      if (buf[cr + 1] !== LF) throw new RespProtocolError('Protocol error: line not terminated by CRLF');
      this.line(type, buf, pos + 1, cr);
      pos = cr + 2;
      if (this.bodyLen >= 0) {
        pos = this.bodyAt(buf, pos, owned);
        if (pos < 0) return;
      }
    }
  }

  /** `whole`: buf is private and holds exactly this body + CRLF (no copy needed for returnBuffers). */
  private body(buf: Buffer, start: number, end: number, whole: boolean): Reply {
    switch (this.bodyType) {
      case DOLLAR:
        if (!this.returnBuffers) return utf8(buf, start, end);
        return whole ? buf.subarray(start, end) : copyOf(buf, start, end);
      case 33: // '!' blob error
        return errorReply(buf.toString('utf8', start, end));
      default: {
        // '=' verbatim: "fmt:text", the format is exactly three bytes.
        if (end - start < 4 || buf[start + 3] !== 58)
          throw new RespProtocolError('Protocol error: bad verbatim string');
        return new RespVerbatim(buf.toString('latin1', start, start + 3), buf.toString('utf8', start + 4, end));
      }
    }
  }

  /** One "<type><payload>\r\n" line; payload is buf[s, e). */
  private line(type: number, buf: Buffer, s: number, e: number): void {
    switch (type) {
      case DOLLAR:
      case 33: // '!'
      case 61: {
        // '='
        const n = parseLL(buf, s, e);
        if (n === -1 && type === DOLLAR) return this.deliver(null);
        if (Number.isNaN(n) || n < 0 || n > this.limits.maxBulkLength) {
          throw new RespProtocolError('Protocol error: invalid bulk length');
        }
        this.bodyType = type;
        this.bodyLen = n;
        return;
      }
      case PLUS:
        return this.deliver(utf8(buf, s, e));
      case MINUS:
        return this.deliver(errorReply(buf.toString('utf8', s, e)));
      case 58: // ':'
        return this.deliver(parseInteger(buf, s, e));
      case STAR:
        return this.aggregate(K_ARRAY, buf, s, e);
      case 37: // '%'
        return this.aggregate(K_MAP, buf, s, e);
      case 126: // '~'
        return this.aggregate(K_SET, buf, s, e);
      case 62: // '>'
        return this.aggregate(K_PUSH, buf, s, e);
      case 124: // '|'
        return this.aggregate(K_ATTR, buf, s, e);
      case 95: // '_'
        if (e !== s) throw new RespProtocolError('Protocol error: bad null');
        return this.deliver(null);
      case 35: // '#'
        if (e - s === 1 && buf[s] === 116) return this.deliver(true);
        if (e - s === 1 && buf[s] === 102) return this.deliver(false);
        throw new RespProtocolError('Protocol error: bad boolean');
      case 44: // ','
        return this.deliver(parseDouble(buf.toString('latin1', s, e)));
      case 40: {
        // '('
        const t = buf.toString('latin1', s, e);
        if (!BIGNUM_RE.test(t)) throw new RespProtocolError('Protocol error: bad big number');
        return this.deliver(BigInt(t));
      }
      default:
        throw new RespProtocolError(`Protocol error: unknown reply type byte ${type}`);
    }
  }

  private aggregate(kind: number, buf: Buffer, s: number, e: number): void {
    const n = parseLL(buf, s, e);
    if (n === -1 && (kind === K_ARRAY || kind === K_SET || kind === K_PUSH)) {
      return this.deliver(null); // RESP2 null array (redis-parser maps it to null too)
    }
    if (Number.isNaN(n) || n < 0 || n > this.limits.maxMultibulkLength) {
      throw new RespProtocolError('Protocol error: invalid multibulk length');
    }
    if (this.stack.length >= this.limits.maxDepth) throw new RespProtocolError('Protocol error: nesting too deep');
    const agg: Aggregate = { kind, remaining: kind === K_MAP || kind === K_ATTR ? n * 2 : n, items: [] };
    if (agg.remaining === 0) {
      if (kind === K_ATTR) return this.onAttribute?.(new Map());
      return this.deliver(finish(agg));
    }
    this.stack.push(agg);
  }

  private deliver(value: Reply): void {
    const stack = this.stack;
    let v = value;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      top.items.push(v);
      if (--top.remaining !== 0) return;
      stack.pop();
      if (top.kind === K_ATTR) {
        // An attribute annotates the next value and is not itself an element of its parent.
        this.onAttribute?.(finish(top) as Map<Reply, Reply>);
        return;
      }
      v = finish(top);
    }
    if (this.onReply === undefined) this.out.push(v);
    else this.onReply(v);
  }
}

function notTerminated(): RespProtocolError {
  return new RespProtocolError('Protocol error: bulk not terminated by CRLF');
}

function byteAt(parts: Buffer[], index: number): number {
  let i = index;
  for (const p of parts) {
    if (i < p.length) return p[i]!;
    i -= p.length;
  }
  return -1;
}

// Buffer#utf8Slice is what Buffer#toString('utf8', s, e) calls after validating its arguments; for the many
// short strings of a reply stream the validation is a measurable share. Fall back if a runtime lacks it.
type Utf8Sliceable = Buffer & { utf8Slice?: (start: number, end: number) => string };
const hasUtf8Slice = typeof (Buffer.prototype as Utf8Sliceable).utf8Slice === 'function';
function utf8(buf: Buffer, start: number, end: number): string {
  return hasUtf8Slice ? (buf as Utf8Sliceable).utf8Slice!(start, end) : buf.toString('utf8', start, end);
}

function tooBigLine(): RespProtocolError {
  return new RespProtocolError('Protocol error: too big reply line');
}

// Error replies are data, not thrown: skip the stack capture (the stack would point into the decoder anyway).
function errorReply(message: string): RespErrorReply {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new RespErrorReply(message);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function finish(agg: Aggregate): Reply {
  switch (agg.kind) {
    case K_ARRAY:
      return agg.items;
    case K_SET:
      return new Set(agg.items);
    case K_PUSH:
      return new RespPush(agg.items);
    default: {
      const m = new Map<Reply, Reply>();
      const it = agg.items;
      for (let i = 0; i + 1 < it.length; i += 2) m.set(it[i]!, it[i + 1]!);
      return m;
    }
  }
}

function parseInteger(buf: Buffer, s: number, e: number): number | bigint {
  let i = s;
  let neg = false;
  const c0 = buf[i];
  if (c0 === MINUS || c0 === PLUS) {
    neg = c0 === MINUS;
    i++;
  }
  if (i >= e) throw new RespProtocolError('Protocol error: bad integer');
  if (e - i <= 15) {
    let v = 0;
    for (; i < e; i++) {
      const d = buf[i]! - 48;
      if (d < 0 || d > 9) throw new RespProtocolError('Protocol error: bad integer');
      v = v * 10 + d;
    }
    return neg ? 0 - v : v;
  }
  for (let j = i; j < e; j++) {
    const d = buf[j]! - 48;
    if (d < 0 || d > 9) throw new RespProtocolError('Protocol error: bad integer');
  }
  const big = BigInt(buf.toString('latin1', s, e));
  if (big <= BigInt(MAX_SAFE) && big >= -BigInt(MAX_SAFE)) return Number(big);
  return big;
}

function parseDouble(t: string): number {
  switch (t.toLowerCase()) {
    case 'inf':
    case '+inf':
      return Infinity;
    case '-inf':
      return -Infinity;
    case 'nan':
    case '-nan':
    case '+nan':
      return NaN;
  }
  if (!DOUBLE_RE.test(t)) throw new RespProtocolError('Protocol error: bad double');
  return Number(t);
}
