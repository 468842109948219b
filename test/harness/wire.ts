// A typed RESP2/RESP3 reader and a raw wire client for the differential and compat tests. Independent of the
// product codec on purpose: it keeps what the product decoder folds away (simple vs bulk string, `$-1` vs `*-1`
// vs `_`, push vs array), because a drop-in replacement must match the *type* of every value, not just its text.
// Test-only code.
import type { Socket } from 'node:net';
import { dial } from './ports.js';

/** One decoded frame with its RESP type kept. */
export type Frame =
  | { t: 'simple'; v: string }
  | { t: 'error'; v: string }
  | { t: 'int'; v: string } // kept as text: exact digits, no float/bigint drift
  | { t: 'bulk'; v: string }
  | { t: 'nullbulk' } // RESP2 $-1
  | { t: 'nullarray' } // RESP2 *-1
  | { t: 'null' } // RESP3 _
  | { t: 'bool'; v: boolean }
  | { t: 'double'; v: string }
  | { t: 'bignum'; v: string }
  | { t: 'verbatim'; format: string; v: string }
  | { t: 'bloberror'; v: string }
  | { t: 'array'; v: Frame[] }
  | { t: 'set'; v: Frame[] }
  | { t: 'push'; v: Frame[] }
  | { t: 'map'; v: Array<[Frame, Frame]> }
  | { t: 'attr'; v: Array<[Frame, Frame]> };

class Incomplete extends Error {}

/** Incremental frame reader. `push()` returns every complete frame; throws on malformed input. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Frame[] = [];
    for (;;) {
      if (this.buf.length === 0) break;
      try {
        const [frame, next] = this.parse(0);
        this.buf = this.buf.subarray(next);
        out.push(frame);
      } catch (err) {
        if (err instanceof Incomplete) break;
        throw err;
      }
    }
    return out;
  }

  private line(pos: number): [string, number] {
    const end = this.buf.indexOf('\r\n', pos);
    if (end === -1) throw new Incomplete();
    return [this.buf.toString('utf8', pos, end), end + 2];
  }

  private parse(pos: number): [Frame, number] {
    if (pos >= this.buf.length) throw new Incomplete();
    const type = String.fromCharCode(this.buf[pos] as number);
    const [text, next] = this.line(pos + 1);
    switch (type) {
      case '+':
        return [{ t: 'simple', v: text }, next];
      case '-':
        return [{ t: 'error', v: text }, next];
      case ':':
        return [{ t: 'int', v: text }, next];
      case '_':
        return [{ t: 'null' }, next];
      case '#':
        return [{ t: 'bool', v: text === 't' }, next];
      case ',':
        return [{ t: 'double', v: text }, next];
      case '(':
        return [{ t: 'bignum', v: text }, next];
      case '$':
      case '=':
      case '!': {
        const len = Number(text);
        if (len === -1 && type === '$') return [{ t: 'nullbulk' }, next];
        if (!Number.isInteger(len) || len < 0) throw new Error(`bad bulk length ${JSON.stringify(text)}`);
        if (this.buf.length < next + len + 2) throw new Incomplete();
        const body = this.buf.toString('utf8', next, next + len);
        const after = next + len + 2;
        if (type === '$') return [{ t: 'bulk', v: body }, after];
        if (type === '!') return [{ t: 'bloberror', v: body }, after];
        return [{ t: 'verbatim', format: body.slice(0, 3), v: body.slice(4) }, after];
      }
      case '*':
      case '~':
      case '>':
      case '%':
      case '|': {
        const n = Number(text);
        if (n === -1 && type === '*') return [{ t: 'nullarray' }, next];
        if (!Number.isInteger(n) || n < 0) throw new Error(`bad aggregate length ${JSON.stringify(text)}`);
        const count = type === '%' || type === '|' ? n * 2 : n;
        const items: Frame[] = [];
        let p = next;
        for (let i = 0; i < count; i++) {
          const [f, q] = this.parse(p);
          items.push(f);
          p = q;
        }
        if (type === '*') return [{ t: 'array', v: items }, p];
        if (type === '~') return [{ t: 'set', v: items }, p];
        if (type === '>') return [{ t: 'push', v: items }, p];
        const pairs: Array<[Frame, Frame]> = [];
        for (let i = 0; i < items.length; i += 2) pairs.push([items[i] as Frame, items[i + 1] as Frame]);
        if (type === '|') {
          // An attribute precedes the real reply; keep both by wrapping.
          const [real, r] = this.parse(p);
          return [{ t: 'array', v: [{ t: 'attr', v: pairs }, real] }, r];
        }
        return [{ t: 'map', v: pairs }, p];
      }
      default:
        throw new Error(`unknown RESP type byte ${JSON.stringify(type)} at ${pos}`);
    }
  }
}

/** Encode a command as a RESP multibulk. */
export function encodeArgs(args: ReadonlyArray<string | number | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

export interface WireClientOptions {
  host?: string;
  connectTimeoutMs?: number;
  /** Per-read deadline for `next()` / `call()`. */
  readTimeoutMs?: number;
}

/**
 * A raw client: writes commands or bytes, and reads frames in order. No interpretation of pub/sub: the test
 * decides what the next frame should be. In RESP3, `call()` sets push frames aside (see `pushes`).
 */
export class WireClient {
  private readonly reader = new FrameReader();
  private readonly frames: Frame[] = [];
  private waiters: Array<() => void> = [];
  private ended = false;
  private error: Error | undefined;
  /** Push frames set aside by `call()`. */
  readonly pushes: Frame[] = [];
  readonly closed: Promise<void>;

  private constructor(
    readonly socket: Socket,
    private readonly readTimeoutMs: number,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.frames.push(...this.reader.push(chunk));
      } catch (err) {
        this.error = err as Error;
        socket.destroy();
      }
      this.wake();
    });
    socket.on('error', (err) => {
      this.error ??= err;
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.ended = true;
        this.wake();
        resolve();
      });
    });
  }

  static async connect(port: number, opts: WireClientOptions = {}): Promise<WireClient> {
    const host = opts.host ?? '127.0.0.1';
    const socket = await dial(host, port, opts.connectTimeoutMs ?? 3000);
    return new WireClient(socket, opts.readTimeoutMs ?? 5000);
  }

  get isClosed(): boolean {
    return this.ended;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  send(...args: Array<string | number | Buffer>): void {
    this.socket.write(encodeArgs(args));
  }

  /** The next frame of any kind (reply or push). Rejects on timeout or when the connection closes first. */
  async next(timeoutMs = this.readTimeoutMs): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.frames.shift();
      if (f) return f;
      if (this.ended)
        throw new Error(`connection closed while waiting for a reply${this.error ? `: ${this.error.message}` : ''}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The next non-push frame; pushes met on the way go to `pushes`. */
  async reply(timeoutMs = this.readTimeoutMs): Promise<Frame> {
    for (;;) {
      const f = await this.next(timeoutMs);
      if (f.t === 'push') this.pushes.push(f);
      else return f;
    }
  }

  /** Send one command and read its reply (pushes set aside). */
  async call(...args: Array<string | number | Buffer>): Promise<Frame> {
    this.send(...args);
    return this.reply();
  }

  /** Resolves true if the server closes the connection within `timeoutMs`. */
  async closesWithin(timeoutMs: number): Promise<boolean> {
    if (this.ended) return true;
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      this.closed.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return r;
  }

  /** Frames received but not yet read. */
  drain(): Frame[] {
    return this.frames.splice(0);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Text of a string-like frame (simple, bulk, verbatim, error); undefined otherwise. */
export function text(f: Frame | undefined): string | undefined {
  if (!f) return undefined;
  if (f.t === 'simple' || f.t === 'bulk' || f.t === 'error' || f.t === 'verbatim' || f.t === 'bloberror') return f.v;
  if (f.t === 'int') return f.v;
  return undefined;
}

/** Field/value pairs of a record: a RESP3 map or a RESP2 flat array. */
export function pairs(f: Frame): Array<[string, Frame]> {
  if (f.t === 'map') return f.v.map(([k, v]) => [text(k) ?? '', v]);
  if (f.t === 'array') {
    const out: Array<[string, Frame]> = [];
    for (let i = 0; i + 1 < f.v.length; i += 2) out.push([text(f.v[i]) ?? '', f.v[i + 1] as Frame]);
    return out;
  }
  throw new Error(`not a record: ${f.t}`);
}

/** A record as a plain string map (values' text). */
export function record(f: Frame): Record<string, string> {
  const r: Record<string, string> = {};
  for (const [k, v] of pairs(f)) r[k] = text(v) ?? JSON.stringify(v);
  return r;
}

/** Elements of an array-like frame. */
export function items(f: Frame): Frame[] {
  if (f.t === 'array' || f.t === 'set' || f.t === 'push') return f.v;
  throw new Error(`not an array: ${JSON.stringify(f).slice(0, 200)}`);
}
