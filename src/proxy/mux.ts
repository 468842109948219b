// One shared upstream connection for multiplexed clients (opt-in `--mux`): requests from many clients are written
// in one batch per event-loop turn, replies are split by frame and returned to each client in order.
// Shell code. It never authenticates: a client that did not AUTH gets exactly what an unauthenticated
// connection gets (clients that AUTH are pinned to their own connection by the data plane).
import { connect, type Socket } from 'node:net';
import type { Addr } from './events.js';
import { ReplyScanner } from './frames.js';

/** What the shared upstream needs from a client session. */
export interface MuxClient {
  /** Replies still expected for this client on the shared connection. */
  outstanding: number;
  /** Request bytes sent (or queued) on the shared connection whose replies have not all arrived. */
  unanswered: number;
  /** false once the client is gone: its replies are discarded. */
  alive: boolean;
  /**
   * Reply bytes for this client (possibly part of a reply). false: the client's socket holds more than its
   * high-water mark, and the shared connection stops reading until `whenWritable` calls back.
   */
  deliver(bytes: Buffer): boolean;
  /** Calls `cb` once, when the client has drained below its high-water mark or is gone. */
  whenWritable(cb: () => void): void;
  /** Some of this client's requests were answered (unanswered went down). */
  answered(): void;
  /** Called when outstanding drops to 0 (the session may switch to a pinned connection). */
  drained(): void;
  /** The shared connection failed while this client had replies pending. */
  fail(): void;
  /** The shared connection never connected: these request bytes were not written anywhere. */
  requeue(bytes: Buffer): void;
}

interface Entry {
  c: MuxClient;
  n: number;
  /** Request bytes of those n requests (counted in c.unanswered until answered). */
  bytes: number;
}

export class MuxUpstream {
  private readonly sock: Socket;
  private readonly queue: Entry[] = [];
  /** Requests queued and not yet written (`n` of them in `b`). */
  private out: Array<{ c: MuxClient; b: Buffer; n: number }> = [];
  /** Nothing is written before the connection is up, so a failed connect loses no request. */
  private connected = false;
  private flushScheduled = false;
  /** Where the reply stream is (replies are passed on as they arrive, never buffered whole). */
  private readonly replies = new ReplyScanner();
  private closed = false;
  /** Clients over their high-water mark; reading stops while any is. */
  private blocked = 0;

  constructor(
    readonly target: Addr,
    localAddress: string | undefined,
    private readonly canFlush: () => boolean,
    private readonly onClose: (mux: MuxUpstream) => void,
  ) {
    this.sock = connect({
      host: target.host,
      port: target.port,
      noDelay: true,
      ...(localAddress !== undefined ? { localAddress } : {}),
    });
    this.sock.on('error', () => undefined);
    this.sock.once('connect', () => {
      this.connected = true;
      this.flush();
    });
    this.sock.on('data', (chunk: Buffer) => this.onData(chunk));
    this.sock.on('close', () => this.shutdown());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Queue `count` complete requests from client c (bytes already validated). */
  send(c: MuxClient, bytes: Buffer, count: number): void {
    const last = this.queue[this.queue.length - 1];
    if (last && last.c === c) {
      last.n += count;
      last.bytes += bytes.length;
    } else this.queue.push({ c, n: count, bytes: bytes.length });
    c.outstanding += count;
    c.unanswered += bytes.length;
    // Always wait for the batch turn, even when idle: writing the first request of a turn at once splits the
    // batch in two and measurably costs throughput with many clients (docs/benchmarks.md).
    this.out.push({ c, b: bytes, n: count });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Write what is queued, unless the gate is closed (then it waits for the next flush()). */
  flush(): void {
    this.flushScheduled = false;
    if (this.closed || !this.connected || this.out.length === 0 || !this.canFlush()) return;
    const chunks = this.out;
    this.out = [];
    if (chunks.length === 1) {
      this.sock.write(chunks[0]!.b);
      return;
    }
    this.sock.cork();
    for (const c of chunks) this.sock.write(c.b);
    this.sock.uncork();
  }

  close(): void {
    this.sock.destroy();
    this.shutdown();
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    const unsent = this.out;
    this.out = [];
    const q = this.queue.splice(0);
    if (!this.connected) {
      // Nothing reached Redis: hand each client its requests back (in order) instead of failing it.
      const byClient = new Map<MuxClient, Buffer[]>();
      for (const u of unsent) {
        const list = byClient.get(u.c);
        if (list) list.push(u.b);
        else byClient.set(u.c, [u.b]);
      }
      for (const e of q) {
        e.c.outstanding = 0;
        e.c.unanswered = 0;
      }
      for (const [c, bufs] of byClient) if (c.alive) c.requeue(Buffer.concat(bufs));
    } else {
      // A client none of whose pending requests was written (the gate closed before the batch turn, and the
      // connection is closed at the switch or dropped by the old master) gets them back, as above; a client with
      // a request Redis may have run fails (its outcome is unknown).
      const unwritten = new Map<MuxClient, { n: number; bufs: Buffer[] }>();
      for (const u of unsent) {
        const w = unwritten.get(u.c);
        if (w) {
          w.n += u.n;
          w.bufs.push(u.b);
        } else unwritten.set(u.c, { n: u.n, bufs: [u.b] });
      }
      for (const c of new Set(q.map((e) => e.c))) {
        const w = unwritten.get(c);
        const none = w !== undefined && w.n === c.outstanding;
        c.outstanding = 0;
        c.unanswered = 0;
        if (!c.alive) continue;
        if (none) c.requeue(Buffer.concat(w.bufs));
        else c.fail();
      }
    }
    this.onClose(this);
  }

  private onData(b: Buffer): void {
    let at = 0;
    let block = false;
    while (at < b.length) {
      const head = this.queue[0];
      if (!head) {
        // Bytes nobody asked for: the stream is out of step. Close it; clients with replies pending fail.
        this.close();
        return;
      }
      const end = this.replies.advance(b, at, head.n);
      if (end < 0) {
        this.close();
        return;
      }
      const k = this.replies.done;
      // Bytes of the head's replies go on at once, complete or not: the stream is in order.
      if (end > at && head.c.alive && !head.c.deliver(b.subarray(at, end)) && !block) {
        block = true;
        this.blocked++;
        head.c.whenWritable(() => this.unblock());
      }
      at = end;
      if (k > 0) {
        const answered = k === head.n ? head.bytes : Math.floor((head.bytes * k) / head.n);
        head.n -= k;
        head.bytes -= answered;
        head.c.outstanding -= k;
        head.c.unanswered -= answered;
        if (head.c.alive) head.c.answered();
      }
      if (head.n === 0) {
        this.queue.shift();
        if (head.c.alive) head.c.drained();
      }
    }
    if (this.blocked > 0 && !this.closed) this.sock.pause();
  }

  private unblock(): void {
    if (--this.blocked === 0 && !this.closed) this.sock.resume();
  }
}
