// One shared upstream connection for multiplexed clients (opt-in `--mux`): requests from many clients are written
// in one batch per event-loop turn, replies are split by frame and returned to each client in order.
// Shell code. It never authenticates: a client that did not AUTH gets exactly what an unauthenticated
// connection gets (clients that AUTH are pinned to their own connection by the data plane).
import { connect, type Socket } from 'node:net';
import type { Addr } from './events.js';
import { scanReply, INCOMPLETE, PartialFrame } from './frames.js';

/** What the shared upstream needs from a client session. */
export interface MuxClient {
  /** Replies still expected for this client on the shared connection. */
  outstanding: number;
  /** false once the client is gone: its replies are discarded. */
  alive: boolean;
  deliver(bytes: Buffer): void;
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
}

export class MuxUpstream {
  private readonly sock: Socket;
  private readonly queue: Entry[] = [];
  private out: Array<{ c: MuxClient; b: Buffer }> = [];
  /** Nothing is written before the connection is up, so a failed connect loses no request. */
  private connected = false;
  private flushScheduled = false;
  /** A reply cut by the end of a read. */
  private readonly partial = new PartialFrame();
  private closed = false;

  constructor(
    readonly target: Addr,
    private readonly canFlush: () => boolean,
    private readonly onClose: (mux: MuxUpstream) => void,
  ) {
    this.sock = connect({ host: target.host, port: target.port, noDelay: true });
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
    if (last && last.c === c) last.n += count;
    else this.queue.push({ c, n: count });
    c.outstanding += count;
    // Always wait for the batch turn, even when idle: writing the first request of a turn at once splits the
    // batch in two and measurably costs throughput with many clients (docs/benchmarks.md).
    this.out.push({ c, b: bytes });
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
      for (const e of q) e.c.outstanding = 0;
      for (const [c, bufs] of byClient) if (c.alive) c.requeue(Buffer.concat(bufs));
    } else {
      for (const e of q) {
        e.c.outstanding = 0;
        if (e.c.alive) e.c.fail();
      }
    }
    this.onClose(this);
  }

  private onData(chunk: Buffer): void {
    const b = this.partial.take(chunk);
    if (b === null) return;
    let at = 0;
    while (at < b.length) {
      const head = this.queue[0];
      if (!head) {
        // Bytes nobody asked for: the stream is out of step. Close it; clients with replies pending fail.
        this.close();
        return;
      }
      let end = at;
      let k = 0;
      let incomplete = false;
      while (k < head.n) {
        const e = scanReply(b, end);
        if (e < 0) {
          if (e !== INCOMPLETE) {
            this.close();
            return;
          }
          incomplete = true;
          break;
        }
        end = e;
        k++;
      }
      if (k > 0) {
        head.n -= k;
        head.c.outstanding -= k;
        if (head.c.alive) head.c.deliver(b.subarray(at, end));
        at = end;
      }
      if (head.n === 0) {
        this.queue.shift();
        if (head.c.alive) head.c.drained();
      }
      if (incomplete) {
        this.partial.keep(b, at);
        return;
      }
    }
  }
}
