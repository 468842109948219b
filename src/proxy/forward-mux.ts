// The client side of `--mux`: one session's requests go onto the shared upstream (mux.ts), its replies come back
// in order. Contract: only complete requests of MUX_COMMANDS are multiplexed; at the first request that is not (or
// is too big to hold whole) the session stops reading, keeps that request and what follows, and once every
// multiplexed request is answered asks the plane to pin it to a connection of its own. Memory per client is
// bounded: reads pause over MUX_UNANSWERED_MAX unanswered bytes, the shared upstream waits while the client
// holds more than MUX_REPLY_HWM unflushed reply bytes (and closes it after MUX_STALL_MS). A mux session with no
// request unanswered and none partly read can be re-pointed: it only ever sent stateless commands.
import type { MuxClient, MuxUpstream } from './mux.js';
import { scanRequest, scan, INCOMPLETE, EMPTY, MUX_COMMANDS, PartialFrame } from './frames.js';
import { type Forwarder, type ForwarderHost, type Session, endClient } from './session.js';

/** Most reply bytes a mux client's socket may hold unflushed before the shared upstream stops reading. */
const MUX_REPLY_HWM = 1024 * 1024;
/** Most request bytes a mux client may have unanswered on the shared upstream; its reads pause above it. */
const MUX_UNANSWERED_MAX = 1024 * 1024;
/** A request (mux mode) whose frame is longer than this pins the client instead of being buffered whole. */
const MUX_PARTIAL_MAX = 1024 * 1024;
/** Longest a mux client over MUX_REPLY_HWM may hold up the shared upstream before it is closed (ms). */
const MUX_STALL_MS = 5000;

export interface MuxHost extends ForwarderHost {
  /** The shared upstream to the current route (created on first use), or null without a route. */
  muxUpstream(): MuxUpstream | null;
  /** Move the session to its own connection; `bytes` go first there. */
  pin(s: Session, bytes: Buffer): void;
}

export class MuxForwarder implements Forwarder, MuxClient {
  readonly kind = 'mux';
  outstanding = 0;
  unanswered = 0;
  /** A request cut by the end of a read. */
  private readonly partial = new PartialFrame();
  /** Bytes for the pinned connection (the first request that cannot be multiplexed, and after). */
  private pinBuf: Buffer | null = null;
  /** The client half-closed. */
  private ended = false;
  /** Reads paused for too many unanswered request bytes. */
  private bpPaused = false;
  private frozen = false;

  constructor(
    private readonly s: Session,
    private readonly host: MuxHost,
  ) {
    const client = s.client;
    client.on('data', (chunk: Buffer) => this.onData(chunk));
    client.on('end', () => {
      this.ended = true;
      if (this.outstanding === 0 && this.pinBuf === null) host.closeSoon(s);
    });
  }

  get alive(): boolean {
    return this.s.state.kind !== 'closed';
  }

  private get current(): boolean {
    const st = this.s.state;
    return st.kind === 'open' && st.fwd === this;
  }

  start(): void {
    this.s.client.resume();
  }

  freeze(on: boolean): void {
    this.frozen = on;
    if (on) this.s.client.pause();
    // A client with pinned bytes stays paused until its own connection is wired.
    else if (!this.bpPaused && this.pinBuf === null) this.s.client.resume();
  }

  fence(msg: string | null): void {
    endClient(this.s.client, msg);
  }

  abort(): void {
    this.s.client.destroy();
  }

  /** Everything it sent was answered, and it only ever sent MUX_COMMANDS (= REPOINT_COMMANDS). */
  canRepoint(): boolean {
    return (
      this.outstanding === 0 && this.unanswered === 0 && this.pinBuf === null && this.partial.size === 0 && !this.ended
    );
  }

  /** Nothing to let go of: its requests go to the shared upstream of whatever the route is when they are read. */
  detach(): void {}

  private onData(chunk: Buffer): void {
    this.host.countFromClient(chunk.length);
    if (this.pinBuf) {
      // Already leaving the shared connection: keep everything for the pinned one, in order (the client is
      // paused, so this is at most what was already read).
      this.pinBuf = Buffer.concat([this.pinBuf, chunk]);
      return;
    }
    const b = this.partial.take(chunk);
    if (b === null) return;
    const resume = this.partial.resume;
    let at = 0;
    let sendFrom = 0;
    let count = 0;
    const flushRange = (to: number): void => {
      if (count > 0) {
        const mux = this.host.muxUpstream();
        if (mux) mux.send(this, b.subarray(sendFrom, to), count);
      }
      count = 0;
    };
    while (at < b.length) {
      const e = scanRequest(b, at, at === 0 ? resume : null);
      if (e === INCOMPLETE) {
        if (scan.need - at > MUX_PARTIAL_MAX || b.length - at > MUX_PARTIAL_MAX) {
          // Too big to hold whole: such a client is better off on its own connection, streamed at L4.
          flushRange(at);
          this.pinFrom(b, at);
          return;
        }
        flushRange(at);
        this.partial.keep(b, at);
        break;
      }
      if (e === EMPTY) {
        // Redis answers nothing to an empty line or `*0`: drop it so the reply count stays exact.
        flushRange(at);
        at = scan.need;
        sendFrom = at;
        continue;
      }
      if (e < 0 || !MUX_COMMANDS.has(scan.cmd)) {
        // Not multiplexable (or something Redis should judge on its own): pin from this request on.
        flushRange(at);
        this.pinFrom(b, at);
        return;
      }
      at = e;
      count++;
    }
    if (at >= b.length) flushRange(at);
    if (this.unanswered > MUX_UNANSWERED_MAX && !this.bpPaused) {
      // Too much asked and not yet answered: stop reading this client until replies come (answered()).
      this.bpPaused = true;
      this.s.client.pause();
    }
  }

  /** Leave the shared connection from b[from] on: keep those bytes for the pinned connection, stop reading. */
  private pinFrom(b: Buffer, from: number): void {
    this.pinBuf = Buffer.from(b.subarray(from));
    this.s.client.pause();
    if (this.outstanding === 0) this.pin();
  }

  private pin(): void {
    const bytes = this.pinBuf;
    if (!bytes || !this.current) return;
    this.pinBuf = null;
    this.bpPaused = false;
    this.s.client.removeAllListeners('data');
    this.s.client.removeAllListeners('end');
    this.s.client.pause();
    this.host.pin(this.s, bytes);
  }

  // --- MuxClient (called by the shared upstream) ---------------------------------------------------------------

  /** false when the client's socket holds more than MUX_REPLY_HWM unflushed (the shared upstream then waits). */
  deliver(bytes: Buffer): boolean {
    this.host.countToClient(bytes.length);
    this.s.client.write(bytes);
    return this.s.client.writableLength <= MUX_REPLY_HWM;
  }

  /**
   * `cb` once the client has drained (or is gone). A client that stays over its high-water mark for
   * MUX_STALL_MS is closed: the shared connection, and every other client on it, waits for it meanwhile.
   */
  whenWritable(cb: () => void): void {
    const client = this.s.client;
    let done = false;
    const go = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client.off('drain', go);
      client.off('close', go);
      cb();
    };
    const timer = setTimeout(() => {
      this.host.warnEvery('mux-stall', 'closing a mux client that does not read its replies', {
        stalledMs: MUX_STALL_MS,
      });
      this.host.closeNow(this.s);
      go();
    }, MUX_STALL_MS);
    if (client.destroyed || client.writableLength <= MUX_REPLY_HWM) {
      go();
      return;
    }
    client.on('drain', go);
    client.on('close', go);
  }

  /** Replies came: a client paused for too many unanswered request bytes may send again. */
  answered(): void {
    if (this.bpPaused && this.unanswered <= MUX_UNANSWERED_MAX / 2 && this.current) {
      this.bpPaused = false;
      if (!this.frozen && this.pinBuf === null) this.s.client.resume();
    }
  }

  drained(): void {
    if (this.outstanding !== 0) return;
    if (this.pinBuf) this.pin();
    else if (this.ended) this.host.closeSoon(this.s);
  }

  /** The shared connection died with replies pending for this client: close it (the outcome is unknown). */
  fail(): void {
    this.host.closeSoon(this.s);
  }

  requeue(bytes: Buffer): void {
    this.pinBuf = this.pinBuf ? Buffer.concat([bytes, this.pinBuf]) : bytes;
    this.pin();
  }
}
