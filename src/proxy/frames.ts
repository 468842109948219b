// RESP frame boundary scanning for the multiplexing data plane. Pure: no I/O.
// Requests are checked strictly (anything Redis would reject, or that changes connection state, makes the proxy
// stop multiplexing that client); replies are only delimited (RESP2, as sent on a connection that never ran HELLO).

/** Result slots of the last scan (avoids allocating per frame on the hot path). */
export const scan = {
  /** Bytes needed before a rescan can make progress (valid after INCOMPLETE). */
  need: 0,
  /** Command name as lower-case text (valid after a complete request). */
  cmd: '',
};

/**
 * The tail of a stream that ended inside a frame, kept across reads. `take(chunk)` gives the bytes to scan (kept
 * tail + chunk), or null while fewer bytes have arrived than the frame needs; `keep(b, from)` stores b[from..]
 * after a scan returned INCOMPLETE (scan.need is where the frame would end, at the least).
 */
export class PartialFrame {
  private parts: Buffer[] = [];
  private len = 0;
  private need = 0;

  take(chunk: Buffer): Buffer | null {
    if (this.len === 0) return chunk;
    this.parts.push(chunk);
    this.len += chunk.length;
    if (this.len < this.need) return null;
    const b = Buffer.concat(this.parts, this.len);
    this.parts = [];
    this.len = 0;
    return b;
  }

  keep(b: Buffer, from: number): void {
    this.parts = [b.subarray(from)];
    this.len = b.length - from;
    this.need = scan.need - from;
  }
}

export const INCOMPLETE = -1;
export const INVALID = -2;
/** A request Redis answers with nothing (empty inline line, `*0`): drop it. */
export const EMPTY = -3;

const CR = 13;
const LF = 10;
const MAX_ARGS = 1024;
const MAX_BULK = 64 * 1024 * 1024;
const MAX_INLINE = 16 * 1024;

/** Parse a non-negative decimal in b[from, to); -1 if not digits only. */
function digits(b: Buffer, from: number, to: number): number {
  if (to <= from || to - from > 10) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = b[i]! - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/**
 * Scan one client request starting at `at`. Returns its end offset, INCOMPLETE, INVALID or EMPTY (then
 * `scan.need` holds the end offset of the empty frame). Only canonical multibulk of bulk strings and simple inline
 * commands (letters, digits and `_:.-` separated by single spaces) are accepted.
 */
export function scanRequest(b: Buffer, at: number): number {
  if (at >= b.length) {
    scan.need = at + 1;
    return INCOMPLETE;
  }
  if (b[at] !== 42 /* * */) return scanInline(b, at);
  const nl = b.indexOf(LF, at);
  if (nl === -1) {
    if (b.length - at > 32) return INVALID;
    scan.need = b.length + 1;
    return INCOMPLETE;
  }
  if (b[nl - 1] !== CR) return INVALID;
  const argc = digits(b, at + 1, nl - 1);
  if (argc < 0 || argc > MAX_ARGS) return INVALID;
  let i = nl + 1;
  if (argc === 0) {
    scan.need = i;
    return EMPTY;
  }
  for (let k = 0; k < argc; k++) {
    if (i >= b.length) {
      scan.need = i + 1;
      return INCOMPLETE;
    }
    if (b[i] !== 36 /* $ */) return INVALID;
    const e = b.indexOf(LF, i);
    if (e === -1) {
      if (b.length - i > 32) return INVALID;
      scan.need = b.length + 1;
      return INCOMPLETE;
    }
    if (b[e - 1] !== CR) return INVALID;
    const len = digits(b, i + 1, e - 1);
    if (len < 0 || len > MAX_BULK) return INVALID;
    const dataStart = e + 1;
    const end = dataStart + len + 2;
    if (end > b.length) {
      scan.need = end;
      return INCOMPLETE;
    }
    if (b[end - 2] !== CR || b[end - 1] !== LF) return INVALID;
    if (k === 0) {
      if (len === 0 || len > 32) return INVALID;
      scan.cmd = b.toString('latin1', dataStart, dataStart + len).toLowerCase();
    }
    i = end;
  }
  return i;
}

function scanInline(b: Buffer, at: number): number {
  const nl = b.indexOf(LF, at);
  if (nl === -1) {
    if (b.length - at > MAX_INLINE) return INVALID;
    scan.need = b.length + 1;
    return INCOMPLETE;
  }
  let end = nl;
  if (end > at && b[end - 1] === CR) end--;
  if (end === at) {
    scan.need = nl + 1;
    return EMPTY;
  }
  let first = -1;
  for (let i = at; i < end; i++) {
    const c = b[i]!;
    const word =
      (c >= 48 && c <= 58) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 45;
    if (c === 32) {
      if (i === at || b[i - 1] === 32) return INVALID; // leading or double spaces: let Redis judge it alone
      if (first === -1) first = i;
    } else if (!word) return INVALID;
  }
  if (b[end - 1] === 32) return INVALID;
  const cmdEnd = first === -1 ? end : first;
  if (cmdEnd - at > 32) return INVALID;
  scan.cmd = b.toString('latin1', at, cmdEnd).toLowerCase();
  return nl + 1;
}

/**
 * Scan one RESP2 reply starting at `at`: its end offset, or INCOMPLETE (with `scan.need`), or INVALID for a
 * type byte RESP2 does not have.
 */
export function scanReply(b: Buffer, at: number): number {
  let pending = 1;
  let i = at;
  while (pending > 0) {
    if (i >= b.length) {
      scan.need = i + 1;
      return INCOMPLETE;
    }
    const t = b[i]!;
    const nl = b.indexOf(LF, i);
    if (nl === -1) {
      scan.need = b.length + 1;
      return INCOMPLETE;
    }
    pending--;
    switch (t) {
      case 43: // +
      case 45: // -
      case 58: // :
        i = nl + 1;
        break;
      case 36: {
        // $
        const neg = b[i + 1] === 45;
        const len = neg ? -1 : digits(b, i + 1, nl - 1);
        if (!neg && len < 0) return INVALID;
        i = nl + 1;
        if (len >= 0) {
          i += len + 2;
          if (i > b.length) {
            scan.need = i;
            return INCOMPLETE;
          }
        }
        break;
      }
      case 42: {
        // *
        const neg = b[i + 1] === 45;
        const n = neg ? -1 : digits(b, i + 1, nl - 1);
        if (!neg && n < 0) return INVALID;
        i = nl + 1;
        if (n > 0) pending += n;
        break;
      }
      default:
        return INVALID;
    }
  }
  return i;
}

/**
 * Commands that are answered with exactly one reply and neither read nor change connection state, so requests
 * from many clients may share one upstream connection. Anything else (AUTH, HELLO, SELECT, MULTI, WATCH,
 * SUBSCRIBE, blocking commands, CLIENT, scripts, ...) pins that client to its own upstream connection.
 */
export const MUX_COMMANDS: ReadonlySet<string> = new Set([
  'ping',
  'echo',
  'get',
  'set',
  'setnx',
  'setex',
  'psetex',
  'getset',
  'getdel',
  'getex',
  'getrange',
  'setrange',
  'mget',
  'mset',
  'msetnx',
  'append',
  'strlen',
  'incr',
  'decr',
  'incrby',
  'decrby',
  'incrbyfloat',
  'del',
  'unlink',
  'exists',
  'expire',
  'pexpire',
  'expireat',
  'pexpireat',
  'ttl',
  'pttl',
  'persist',
  'type',
  'hget',
  'hset',
  'hsetnx',
  'hmget',
  'hmset',
  'hgetall',
  'hdel',
  'hlen',
  'hexists',
  'hincrby',
  'hincrbyfloat',
  'hkeys',
  'hvals',
  'hstrlen',
  'lpush',
  'rpush',
  'lpushx',
  'rpushx',
  'lpop',
  'rpop',
  'lrange',
  'llen',
  'lindex',
  'lset',
  'lrem',
  'ltrim',
  'sadd',
  'srem',
  'smembers',
  'sismember',
  'smismember',
  'scard',
  'spop',
  'srandmember',
  'zadd',
  'zrem',
  'zrange',
  'zrangebyscore',
  'zrevrange',
  'zscore',
  'zincrby',
  'zcard',
  'zcount',
  'zrank',
  'zrevrank',
  'xadd',
  'xlen',
  'xrange',
  'xrevrange',
  'publish',
  'pfadd',
  'pfcount',
  'dbsize',
]);
