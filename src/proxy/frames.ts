// RESP frame boundary scanning for the multiplexing data plane. Pure: no I/O.
// Requests are checked strictly (anything Redis would reject, or that changes connection state, makes the proxy
// stop multiplexing that client); replies are only delimited (RESP2, as sent on a connection that never ran HELLO).

/** Result slots of the last scan (avoids allocating per frame on the hot path). */
export const scan = {
  /** Bytes needed before a rescan can make progress (valid after INCOMPLETE). */
  need: 0,
  /** Command name as lower-case text (valid after a complete request). */
  cmd: '',
  /**
   * Bytes the scanners and PartialFrame have looked at or copied, summed over every call (never reset). Only for
   * tests: it shows that feeding a frame in small pieces costs work linear in its size.
   */
  work: 0,
};

/**
 * Where a request scan that returned INCOMPLETE stopped, relative to the frame's start, so the next scan of the
 * same frame goes on from there instead of starting over (a frame cut into many small reads costs linear work).
 * Multibulk: `args` arguments of `argc` complete, the next one starts at `at`; inline (argc -1): no line feed
 * before `at`.
 */
export interface ScanResume {
  argc: number;
  args: number;
  at: number;
  cmd: string;
}
const resumeSlot: ScanResume = { argc: 0, args: 0, at: 0, cmd: '' };

/**
 * The tail of a stream that ended inside a frame, kept across reads. `take(chunk)` gives the bytes to scan (kept
 * tail + chunk), or null while fewer bytes have arrived than the frame needs; `keep(b, from)` stores b[from..]
 * after a scan returned INCOMPLETE (scan.need is where the frame would end, at the least). The tail is kept in a
 * buffer that grows by doubling, so a frame arriving in n pieces is copied O(1) times per byte, not n times;
 * `resume` (after a take() that returned kept bytes) lets scanRequest go on where the last scan stopped.
 */
export class PartialFrame {
  private buf: Buffer | null = null;
  private len = 0;
  private need = 0;
  /** The storage handed out by the last take() (its views may be held by the caller until keep()). */
  private lent: Buffer | null = null;
  private kept: ScanResume = { argc: 0, args: 0, at: 0, cmd: '' };
  private hasKept = false;
  /** Valid for the frame at offset 0 of what the last take() returned, or null. */
  resume: ScanResume | null = null;

  /** Bytes kept (an unfinished frame). */
  get size(): number {
    return this.len;
  }

  take(chunk: Buffer): Buffer | null {
    if (this.len === 0) {
      this.resume = null;
      return chunk;
    }
    const want = this.len + chunk.length;
    let buf = this.buf!;
    if (want > buf.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(want, buf.length * 2));
      buf.copy(grown, 0, 0, this.len);
      scan.work += this.len;
      this.buf = buf = grown;
    }
    chunk.copy(buf, this.len);
    scan.work += chunk.length;
    this.len = want;
    if (this.len < this.need) return null;
    this.lent = buf;
    this.buf = null;
    this.len = 0;
    this.resume = this.hasKept ? this.kept : null;
    return buf.subarray(0, want);
  }

  keep(b: Buffer, from: number): void {
    const n = b.length - from;
    const lent = this.lent;
    this.lent = null;
    if (from === 0 && lent && b.buffer === lent.buffer && b.byteOffset === lent.byteOffset) {
      // Nothing of it was handed on (the frame at 0 is the unfinished one): keep growing it in place.
      this.buf = lent;
    } else {
      this.buf = Buffer.allocUnsafeSlow(Math.max(4096, n * 2));
      b.copy(this.buf, 0, from);
      scan.work += n;
    }
    this.len = n;
    this.need = scan.need - from;
    this.hasKept = resumeSlot.at > from;
    if (this.hasKept) {
      this.kept.argc = resumeSlot.argc;
      this.kept.args = resumeSlot.args;
      this.kept.at = resumeSlot.at - from;
      this.kept.cmd = resumeSlot.cmd;
    }
    this.resume = null;
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
 * commands (letters, digits and `_:.-` separated by single spaces) are accepted. `resume` (from
 * PartialFrame.resume, only for the frame at `at` = 0) goes on where the previous scan of this frame stopped.
 */
export function scanRequest(b: Buffer, at: number, resume: ScanResume | null = null): number {
  resumeSlot.at = 0;
  if (at >= b.length) {
    scan.need = at + 1;
    return INCOMPLETE;
  }
  if (b[at] !== 42 /* * */) return scanInline(b, at, resume && resume.argc < 0 ? at + resume.at : at);
  let argc: number;
  let i: number;
  let k0 = 0;
  if (resume && resume.argc > 0) {
    argc = resume.argc;
    i = at + resume.at;
    k0 = resume.args;
    scan.cmd = resume.cmd;
  } else {
    const nl = b.indexOf(LF, at);
    if (nl === -1) {
      if (b.length - at > 32) return INVALID;
      scan.need = b.length + 1;
      return INCOMPLETE;
    }
    scan.work += nl + 1 - at;
    if (b[nl - 1] !== CR) return INVALID;
    argc = digits(b, at + 1, nl - 1);
    if (argc < 0 || argc > MAX_ARGS) return INVALID;
    i = nl + 1;
    if (argc === 0) {
      scan.need = i;
      return EMPTY;
    }
  }
  for (let k = k0; k < argc; k++) {
    if (i >= b.length) {
      scan.need = i + 1;
      return incompleteAt(argc, k, i);
    }
    if (b[i] !== 36 /* $ */) return INVALID;
    const e = b.indexOf(LF, i);
    if (e === -1) {
      if (b.length - i > 32) return INVALID;
      scan.need = b.length + 1;
      return incompleteAt(argc, k, i);
    }
    scan.work += e + 1 - i;
    if (b[e - 1] !== CR) return INVALID;
    const len = digits(b, i + 1, e - 1);
    if (len < 0 || len > MAX_BULK) return INVALID;
    const dataStart = e + 1;
    const end = dataStart + len + 2;
    if (end > b.length) {
      scan.need = end;
      return incompleteAt(argc, k, i);
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

/** INCOMPLETE, noting where the scan of this multibulk can go on (k arguments done, the next starts at i). */
function incompleteAt(argc: number, k: number, i: number): number {
  resumeSlot.argc = argc;
  resumeSlot.args = k;
  resumeSlot.at = i;
  resumeSlot.cmd = scan.cmd;
  return INCOMPLETE;
}

function scanInline(b: Buffer, at: number, from: number): number {
  const nl = b.indexOf(LF, from);
  if (nl === -1) {
    scan.work += b.length - from;
    if (b.length - at > MAX_INLINE) return INVALID;
    scan.need = b.length + 1;
    resumeSlot.argc = -1;
    resumeSlot.at = b.length;
    return INCOMPLETE;
  }
  scan.work += nl + 1 - from;
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
 * Counts complete RESP2 replies in a stream fed in order, as it arrives, without keeping any of it: the state
 * between calls is a few numbers and at most one cut header line (<= 32 bytes), so the shared upstream can pass
 * reply bytes on at once, however large the reply, and each byte is looked at once.
 */
export class ReplyScanner {
  /** Elements of the current reply not yet read (0 = at a reply boundary). */
  private pending = 0;
  /** Bulk payload bytes (with their CRLF) still to pass. */
  private skip = 0;
  /** Type byte of a header line cut by the end of a read (0 = none). */
  private lineType = 0;
  /** The cut line's bytes after the type byte ($ and * only; +, - and : are passed to their LF unread). */
  private line: number[] = [];
  /** Replies completed by the last advance(). */
  done = 0;

  /** At a reply boundary: nothing of a reply has been seen that is not complete. */
  get atBoundary(): boolean {
    return this.pending === 0 && this.skip === 0 && this.lineType === 0;
  }

  /**
   * Go over b[from..] until `max` replies are complete or b ends. Returns the offset reached (everything before
   * it belongs to the replies counted in `done` or to the reply in progress), or INVALID.
   */
  advance(b: Buffer, from: number, max: number): number {
    let i = from;
    this.done = 0;
    while (i < b.length && this.done < max) {
      if (this.pending === 0 && this.lineType === 0) {
        // At a reply boundary: a reply that is whole in this read is delimited by the stateless scanner (faster);
        // only one that is cut goes through the state machine, from its start (each byte is scanned at most twice).
        const e = scanReply(b, i);
        if (e >= 0) {
          scan.work += e - i;
          i = e;
          this.done++;
          continue;
        }
        scan.work += b.length - i;
      }
      if (this.skip > 0) {
        const n = Math.min(this.skip, b.length - i);
        i += n;
        this.skip -= n;
        scan.work += n;
        if (this.skip === 0) this.element();
        continue;
      }
      if (this.lineType === 0) {
        const t = b[i]!;
        if (t !== 43 && t !== 45 && t !== 58 && t !== 36 && t !== 42) return INVALID;
        if (this.pending === 0) this.pending = 1;
        this.lineType = t;
        this.line.length = 0;
        i++;
        scan.work++;
        continue;
      }
      const nl = b.indexOf(LF, i);
      const end = nl === -1 ? b.length : nl;
      scan.work += end - i + (nl === -1 ? 0 : 1);
      const t = this.lineType;
      if ((t === 36 || t === 42) && nl !== -1 && this.line.length === 0) {
        // The usual case: the whole header line is in this read; parse it in place.
        if (nl - i < 2 || b[nl - 1] !== CR) return INVALID;
        const n = b[i] === 45 /* - */ ? -1 : digits(b, i, nl - 1);
        if (n === -1 && b[i] !== 45) return INVALID;
        i = nl + 1;
        this.lineType = 0;
        if (t === 36) {
          if (n < 0) this.element();
          else this.skip = n + 2;
        } else if (n <= 0) this.element();
        else this.pending += n - 1;
        continue;
      }
      if (t === 36 || t === 42) {
        if (this.line.length + (end - i) > 32) return INVALID;
        for (let j = i; j < end; j++) this.line.push(b[j]!);
      }
      if (nl === -1) return b.length;
      i = nl + 1;
      this.lineType = 0;
      if (t !== 36 && t !== 42) {
        this.element();
        continue;
      }
      const l = this.line;
      if (l[l.length - 1] !== CR) return INVALID;
      let n = 0;
      if (l[0] === 45 /* - */) n = -1;
      else {
        if (l.length < 2 || l.length > 11) return INVALID;
        for (let j = 0; j < l.length - 1; j++) {
          const c = l[j]! - 48;
          if (c < 0 || c > 9) return INVALID;
          n = n * 10 + c;
        }
      }
      if (t === 36) {
        if (n < 0) this.element();
        else this.skip = n + 2;
      } else if (n <= 0) {
        this.element();
      } else {
        this.pending += n - 1;
      }
    }
    return i;
  }

  private element(): void {
    if (--this.pending === 0) this.done++;
  }
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
