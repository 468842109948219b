// RESP encoder: server frames (Out) in RESP2 or RESP3, client commands, and small helpers for decoded replies.
// Pure: no I/O. A frame is built as one JS string (ropes make concatenation cheap) and converted to a Buffer
// once; binary Buffer payloads split it into a few segments that are joined with a single Buffer.concat.
// Measured against a two-pass writer (precompute byte lengths, then write into one allocUnsafe buffer): the
// string builder was ~2x faster for arrays of small bulks (per-write call overhead dominates there) and ~1.5x
// slower only for a single 2 KB bulk, so it stays.

import { RespErrorReply, RespPush, RespVerbatim } from './types.js';
import type { Out, Proto, Reply } from './types.js';

const CRLF = '\r\n';

/**
 * printf("%.17g") as Redis 7.0 uses for doubles (addReplyDouble) in both protocols: 17 significant digits,
 * trailing zeros removed, exponent form when exp < -4 or exp >= 17. Infinities are "inf"/"-inf", NaN "nan".
 */
export function formatDouble(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const ex = d.toExponential(16); // "-d.dddddddddddddddde+X"
  const ePos = ex.indexOf('e');
  const exp = Number(ex.slice(ePos + 1));
  if (exp < -4 || exp >= 17) {
    let mant = ex.slice(0, ePos);
    if (mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
    const a = Math.abs(exp);
    return `${mant}e${exp < 0 ? '-' : '+'}${a < 10 ? '0' : ''}${a}`;
  }
  let fixed = d.toFixed(16 - exp);
  if (fixed.includes('.')) fixed = fixed.replace(/0+$/, '').replace(/\.$/, '');
  return fixed;
}

/** Accumulates a frame: text in a string, Buffers as separate segments. */
class Builder {
  str = '';
  segs: Buffer[] | null = null;

  /** Appends raw bytes after the text written so far. */
  bytes(b: Buffer): void {
    this.flush();
    (this.segs ??= []).push(b);
  }

  private flush(): void {
    if (this.str.length === 0) return;
    (this.segs ??= []).push(Buffer.from(this.str, 'utf8'));
    this.str = '';
  }

  finish(): Buffer {
    if (this.segs === null) return Buffer.from(this.str, 'utf8');
    this.flush();
    return this.segs.length === 1 ? this.segs[0]! : Buffer.concat(this.segs);
  }
}

function bulkStr(s: string): string {
  return '$' + Buffer.byteLength(s, 'utf8') + CRLF + s + CRLF;
}

// Error and simple-string text must not contain CR/LF (they would end the frame); Redis replaces them by spaces.
function lineSafe(s: string): string {
  return /[\r\n]/.test(s) ? s.replace(/[\r\n]/g, ' ') : s;
}

function enc(o: Out, proto: Proto, b: Builder): void {
  switch (o.t) {
    case 'simple':
      b.str += '+' + lineSafe(o.v) + CRLF;
      return;
    case 'error':
      b.str += '-' + lineSafe(o.v) + CRLF;
      return;
    case 'int':
      b.str += ':' + o.v + CRLF;
      return;
    case 'bulk':
      if (typeof o.v === 'string') b.str += bulkStr(o.v);
      else {
        b.str += '$' + o.v.length + CRLF;
        b.bytes(o.v);
        b.str += CRLF;
      }
      return;
    case 'null':
      b.str += proto === 3 ? '_\r\n' : '$-1\r\n';
      return;
    case 'nullarray':
      b.str += proto === 3 ? '_\r\n' : '*-1\r\n';
      return;
    case 'array':
      b.str += '*' + o.v.length + CRLF;
      for (const x of o.v) enc(x, proto, b);
      return;
    case 'set':
      b.str += (proto === 3 ? '~' : '*') + o.v.length + CRLF;
      for (const x of o.v) enc(x, proto, b);
      return;
    case 'push':
      b.str += (proto === 3 ? '>' : '*') + o.v.length + CRLF;
      for (const x of o.v) enc(x, proto, b);
      return;
    case 'map':
      b.str += proto === 3 ? '%' + o.v.length + CRLF : '*' + o.v.length * 2 + CRLF;
      for (const [k, v] of o.v) {
        enc(k, proto, b);
        enc(v, proto, b);
      }
      return;
    case 'bool':
      b.str += proto === 3 ? (o.v ? '#t\r\n' : '#f\r\n') : o.v ? ':1\r\n' : ':0\r\n';
      return;
    case 'double': {
      const s = formatDouble(o.v);
      b.str += proto === 3 ? ',' + s + CRLF : '$' + s.length + CRLF + s + CRLF;
      return;
    }
    case 'bignum': {
      const s = o.v.toString();
      b.str += proto === 3 ? '(' + s + CRLF : '$' + s.length + CRLF + s + CRLF;
      return;
    }
    case 'verbatim':
      if (proto === 3) {
        const fmt = (o.format + '   ').slice(0, 3);
        b.str += '=' + (Buffer.byteLength(o.v, 'utf8') + 4) + CRLF + fmt + ':' + o.v + CRLF;
      } else b.str += bulkStr(o.v);
      return;
    case 'raw':
      b.bytes(o.v);
      return;
  }
}

/**
 * Encode one server frame for a connection speaking `proto` (RESP2 downgrades RESP3-only types as Redis does).
 * The result may be a shared constant (+OK, +PONG): write it to sockets, never mutate it.
 */
export function encode(out: Out, proto: Proto): Buffer {
  // Fast paths for the most frequent single frames.
  switch (out.t) {
    case 'simple':
      if (out.v === 'OK') return OK_BUF;
      if (out.v === 'PONG') return PONG_BUF;
      break;
    case 'bulk':
      if (typeof out.v === 'string') return Buffer.from(bulkStr(out.v), 'utf8');
      break;
    case 'int':
      // PUBLISH's `:1` to a peer's hello, hundreds a second at 200 masters: one shared buffer, no allocation.
      if (typeof out.v === 'number' && Number.isInteger(out.v) && out.v >= 0 && out.v < SMALL_INT_BUFS.length) {
        return SMALL_INT_BUFS[out.v]!;
      }
      break;
    default:
      break;
  }
  const b = new Builder();
  enc(out, proto, b);
  return b.finish();
}

const OK_BUF = Buffer.from('+OK\r\n');
const PONG_BUF = Buffer.from('+PONG\r\n');
const SMALL_INT_BUFS = Array.from({ length: 16 }, (_, i) => Buffer.from(`:${i}\r\n`));

/** Encode a client command as a multibulk of bulk strings. Numbers are sent in decimal. */
export function encodeCommand(args: ReadonlyArray<string | Buffer | number>): Buffer {
  let str = '*' + args.length + CRLF;
  let segs: Buffer[] | null = null;
  for (const a of args) {
    if (typeof a === 'string') str += bulkStr(a);
    else if (typeof a === 'number') {
      const s = String(a);
      str += '$' + s.length + CRLF + s + CRLF;
    } else {
      str += '$' + a.length + CRLF;
      (segs ??= []).push(Buffer.from(str, 'utf8'), a);
      str = CRLF;
    }
  }
  if (segs === null) return Buffer.from(str, 'utf8');
  segs.push(Buffer.from(str, 'utf8'));
  return Buffer.concat(segs);
}

/**
 * `encodeCommand` for text and numbers, as a string (written to a socket as UTF-8): links queue the commands of
 * one turn as one string and write it once, without a Buffer per command and a concat per write.
 */
export function encodeCommandText(args: ReadonlyArray<string | number>): string {
  let str = '*' + args.length + CRLF;
  for (const a of args) {
    if (typeof a === 'string') str += bulkStr(a);
    else {
      const s = String(a);
      str += '$' + s.length + CRLF + s + CRLF;
    }
  }
  return str;
}

/** Out constructors. */
export const R = {
  ok: { t: 'simple', v: 'OK' } as Out,
  pong: { t: 'simple', v: 'PONG' } as Out,
  null: { t: 'null' } as Out,
  nullarray: { t: 'nullarray' } as Out,
  simple: (v: string): Out => ({ t: 'simple', v }),
  error: (v: string): Out => ({ t: 'error', v }),
  int: (v: number | bigint): Out => ({ t: 'int', v }),
  bulk: (v: string | Buffer): Out => ({ t: 'bulk', v }),
  array: (v: Out[]): Out => ({ t: 'array', v }),
  map: (v: Array<[Out, Out]>): Out => ({ t: 'map', v }),
  set: (v: Out[]): Out => ({ t: 'set', v }),
  bool: (v: boolean): Out => ({ t: 'bool', v }),
  double: (v: number): Out => ({ t: 'double', v }),
  bignum: (v: bigint): Out => ({ t: 'bignum', v }),
  verbatim: (v: string, format = 'txt'): Out => ({ t: 'verbatim', format, v }),
  push: (v: Out[]): Out => ({ t: 'push', v }),
  raw: (v: Buffer): Out => ({ t: 'raw', v }),
  /** Array of bulk strings, the most common aggregate (e.g. SENTINEL GET-MASTER-ADDR-BY-NAME). */
  bulks: (v: ReadonlyArray<string | Buffer>): Out => ({ t: 'array', v: v.map((x) => ({ t: 'bulk', v: x }) as Out) }),
} as const;

function keyMatches(k: Reply, key: string): boolean {
  if (typeof k === 'string') return k === key;
  if (Buffer.isBuffer(k)) return k.length === Buffer.byteLength(key) && k.toString('utf8') === key;
  if (k instanceof RespVerbatim) return k.text === key;
  return false;
}

/** Field lookup on a RESP3 map or on a RESP2 flat [k1, v1, k2, v2, ...] array (HELLO, SENTINEL MASTER, ...). */
export function mapGet(reply: Reply, key: string): Reply | undefined {
  if (reply instanceof Map) {
    const direct = reply.get(key);
    if (direct !== undefined) return direct;
    for (const [k, v] of reply) if (keyMatches(k, key)) return v;
    return undefined;
  }
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) if (keyMatches(reply[i]!, key)) return reply[i + 1];
  }
  return undefined;
}

/**
 * Text of a scalar reply: strings as-is, Buffers as UTF-8, numbers/bigints in decimal, booleans "1"/"0"
 * (RESP2's rendering), null "", errors their message, verbatim its text. Aggregates render like redis-cli
 * --no-raw in one line (for messages and logs, not for parsing).
 */
export function replyToString(reply: Reply): string {
  if (typeof reply === 'string') return reply;
  if (reply === null) return '';
  if (typeof reply === 'number') return formatNumber(reply);
  if (typeof reply === 'bigint') return reply.toString();
  if (typeof reply === 'boolean') return reply ? '1' : '0';
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  if (reply instanceof RespErrorReply) return reply.message;
  if (reply instanceof RespVerbatim) return reply.text;
  if (reply instanceof RespPush) return '[' + reply.items.map(replyToString).join(', ') + ']';
  if (Array.isArray(reply)) return '[' + reply.map(replyToString).join(', ') + ']';
  if (reply instanceof Map) {
    const parts: string[] = [];
    for (const [k, v] of reply) parts.push(replyToString(k) + ': ' + replyToString(v));
    return '{' + parts.join(', ') + '}';
  }
  return '(' + [...reply].map(replyToString).join(', ') + ')';
}

function formatNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : formatDouble(n);
}
