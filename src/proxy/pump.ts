// The native byte pump (native/pump.c): forwards bytes between a client socket and its upstream socket on a
// thread of its own, so L4 forwarding costs what it costs in C. Optional: when the addon was not built (no C
// compiler at `npm ci`) or VIGIL_PUMP=js, `Pump.get()` returns null and the data plane forwards in JavaScript.
// This module only adapts the addon; DataPlane decides everything.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { Socket } from 'node:net';

interface Binding {
  /** code: 0 the session ended; for a dial, -1 connected, > 0 the connect failed with that errno. */
  create(onClosed: (id: number, code: number) => void): unknown;
  add(
    h: unknown,
    id: number,
    fdA: number,
    fdB: number,
    pre: Buffer | null,
    frozen: boolean,
    group: number,
    idleMs: number,
  ): void;
  dial(
    h: unknown,
    id: number,
    fdA: number,
    host: string,
    port: number,
    srcHost: string | null,
    frozen: boolean,
    group: number,
    idleMs: number,
    timeoutMs: number,
    keepAliveMs: number,
  ): void;
  freeze(h: unknown, id: number, on: boolean): void;
  close(h: unknown, id: number, mode: 0 | 1 | 2, msg: Buffer | null): void;
  stats(h: unknown, group: number): [number, number, number];
  destroy(h: unknown): void;
  /** Test hook: the thread leaves its loop as on an epoll error (its sessions end, onClosed(0) follows). */
  failForTest(h: unknown): void;
}

/**
 * Where `npm ci` (scripts/build-native.mjs) puts the addon: <repo>/build/vigil_pump.node; VIGIL_PUMP_PATH names
 * another build (e.g. the AddressSanitizer one, build/vigil_pump_asan.node, from VIGIL_PUMP_ASAN=1).
 */
export const PUMP_PATH =
  process.env.VIGIL_PUMP_PATH || join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'build', 'vigil_pump.node');

let binding: Binding | null | undefined;
let loadError = '';

function loadBinding(): Binding | null {
  if (binding !== undefined) return binding;
  binding = null;
  if (process.env.VIGIL_PUMP === 'js') {
    loadError = 'disabled by VIGIL_PUMP=js';
  } else if (process.platform !== 'linux') {
    loadError = 'the native pump needs Linux (epoll)';
  } else if (!existsSync(PUMP_PATH)) {
    loadError = `${PUMP_PATH} not built (npm ci builds it when a C compiler is present)`;
  } else {
    try {
      binding = createRequire(import.meta.url)(PUMP_PATH) as Binding;
    } catch (err) {
      loadError = `cannot load ${PUMP_PATH}: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  return binding;
}

/** Why the native pump is not in use ('' when it is). */
export function pumpUnavailableReason(): string {
  loadBinding();
  return loadError;
}

/** The file descriptor behind a connected net.Socket, or -1 (e.g. not a TCP socket). */
export function socketFd(sock: Socket): number {
  const handle = (sock as unknown as { _handle?: { fd?: unknown } })._handle;
  return typeof handle?.fd === 'number' ? handle.fd : -1;
}

/** What the pump reports about a dial (Pump.dial); exactly one of onFailed and onClosed is called, once. */
export interface DialHandlers {
  /** The upstream is connected and the pump forwards (the caller may now drop its client socket). */
  onConnected(): void;
  /** The connect failed (errno, e.g. ECONNREFUSED) or timed out (ETIMEDOUT); nothing was forwarded. */
  onFailed(errno: number): void;
  /** The session ended (after onConnected, or before it when the pump's thread exited). */
  onClosed(): void;
}

/** Counters of one group of sessions (one listener), summed over the pump's threads. */
export interface PumpStats {
  bytesFromClients: number;
  bytesToClients: number;
  live: number;
}

/**
 * The process's pump: `threads` native forwarding threads (each its own epoll loop); a new session goes to the
 * thread with the fewest live sessions. Sessions are named by ids the pump hands out; `onClosed` is called on
 * the JS thread exactly once per session after it ended, whatever ended it. Groups (< 256) keep counters apart
 * per listener.
 */
export class Pump {
  private readonly handles: unknown[];
  private readonly live: number[];
  private readonly sessions = new Map<
    number,
    { thread: number; onClosed: () => void; dial?: Pick<DialHandlers, 'onConnected' | 'onFailed'> }
  >();
  /** Threads whose loop has exited (they take no new sessions). */
  private readonly exited = new Set<number>();
  private nextId = 1;
  private nextGroup = 0;
  private destroyed = false;

  private constructor(
    private readonly b: Binding,
    readonly threads: number,
  ) {
    this.live = new Array<number>(threads).fill(0);
    this.handles = Array.from({ length: threads }, (_, t) =>
      b.create((id, code) => {
        if (id === 0) {
          this.threadExited(t);
          return;
        }
        if (code === -1) this.sessions.get(id)?.dial?.onConnected();
        else this.closed(id, code);
      }),
    );
  }

  private closed(id: number, code = 0): void {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    this.live[s.thread]!--;
    if (code > 0 && s.dial) s.dial.onFailed(code);
    else s.onClosed();
  }

  /**
   * A thread left its loop (destroy, or an error it cannot go on from): it has closed every session it had and
   * refuses new ones. Sessions whose onClosed it could not queue are ended here, so each still gets exactly one.
   */
  private threadExited(t: number): void {
    if (this.exited.has(t)) return;
    this.exited.add(t);
    if (!this.destroyed) this.onThreadExit?.(t);
    for (const [id, s] of [...this.sessions]) if (s.thread === t) this.closed(id);
  }

  /** Called when a thread exits on its own (not at destroy); the data plane logs it. */
  onThreadExit: ((thread: number) => void) | null = null;

  /** Threads still running. */
  get runningThreads(): number {
    return this.destroyed ? 0 : this.threads - this.exited.size;
  }

  /** A counter group for one listener. */
  newGroup(): number {
    if (this.nextGroup >= 256) throw new Error('the native pump supports at most 256 listeners per process');
    return this.nextGroup++;
  }

  /**
   * Hand both sockets to the pump and return the session id, or 0 if they cannot be handed over (the caller then
   * forwards in JS). The sockets must be connected and their handles not reading; `pre` holds client bytes
   * already read in JS, sent upstream first (once not frozen). On success the pump owns duplicates of both
   * descriptors and the caller must destroy its sockets (without ending them). `idleMs` > 0 closes the session
   * after that long without a byte read from either side (checked every 250 ms).
   */
  add(
    group: number,
    client: Socket,
    upstream: Socket,
    pre: Buffer | null,
    frozen: boolean,
    onClosed: () => void,
    idleMs = 0,
  ): number {
    const fa = socketFd(client);
    const fb = socketFd(upstream);
    if (fa < 0 || fb < 0 || this.destroyed) return 0;
    const thread = this.pickThread();
    if (thread < 0) return 0;
    const id = this.newId();
    try {
      this.b.add(this.handles[thread], id, fa, fb, pre, frozen, group, idleMs);
    } catch {
      // Nothing was handed over (the addon closed its duplicates): the caller forwards in JS.
      return 0;
    }
    this.sessions.set(id, { thread, onClosed });
    this.live[thread]!++;
    return id;
  }

  private pickThread(): number {
    let thread = -1;
    for (let t = 0; t < this.threads; t++) {
      if (!this.exited.has(t) && (thread < 0 || this.live[t]! < this.live[thread]!)) thread = t;
    }
    return thread;
  }

  private newId(): number {
    const id = this.nextId;
    this.nextId = this.nextId >= 0xfffffff0 ? 1 : this.nextId + 1;
    return id;
  }

  /**
   * Let the pump dial the upstream itself (numeric `host`, optional numeric `srcHost` to bind first) and forward
   * once connected: returns the session id, or 0 if it cannot take the session (the caller dials in JS). The
   * client's socket must be connected, its handle not reading and its JS buffers empty; the pump takes a duplicate
   * of its descriptor and does not read it before the upstream is connected. The caller keeps its socket (not
   * reading) until `onConnected`, then destroys it (without ending it); after `onFailed` the pump has let go of
   * everything and the client is the caller's again. `keepAliveMs` > 0 sets keepalive on the upstream as Node's
   * setKeepAlive(true, keepAliveMs) does.
   */
  dial(
    group: number,
    client: Socket,
    host: string,
    port: number,
    srcHost: string | null,
    frozen: boolean,
    timeoutMs: number,
    keepAliveMs: number,
    idleMs: number,
    handlers: DialHandlers,
  ): number {
    const fa = socketFd(client);
    if (fa < 0 || this.destroyed) return 0;
    const thread = this.pickThread();
    if (thread < 0) return 0;
    const id = this.newId();
    try {
      this.b.dial(this.handles[thread], id, fa, host, port, srcHost, frozen, group, idleMs, timeoutMs, keepAliveMs);
    } catch {
      // Nothing was handed over (a name instead of an address, the thread exited): the caller dials in JS.
      return 0;
    }
    this.sessions.set(id, {
      thread,
      onClosed: handlers.onClosed,
      dial: { onConnected: handlers.onConnected, onFailed: handlers.onFailed },
    });
    this.live[thread]!++;
    return id;
  }

  private handle(id: number): unknown {
    const s = this.sessions.get(id);
    return s && !this.destroyed && !this.exited.has(s.thread) ? this.handles[s.thread] : undefined;
  }

  /** Test hook: make thread `t` exit as it would on an epoll error. */
  failThreadForTest(t: number): void {
    this.b.failForTest(this.handles[t]);
  }

  /** Stop (or resume) forwarding the client's bytes; the upstream's bytes keep reaching the client. */
  freeze(id: number, on: boolean): void {
    const h = this.handle(id);
    if (h !== undefined) this.b.freeze(h, id, on);
  }

  /** Fence: drop the upstream now, flush to the client what it had sent plus `msg`, then FIN the client. */
  fence(id: number, msg: string | null): void {
    const h = this.handle(id);
    if (h !== undefined) this.b.close(h, id, 0, msg === null ? null : Buffer.from(msg));
  }

  /**
   * For a dial: if it is still connecting, it fails with ECANCELED (onFailed; nothing was forwarded, the client
   * is the caller's again); if it has connected meanwhile (onConnected is on its way), it is fenced with `msg`.
   */
  cancel(id: number, msg: string | null): void {
    const h = this.handle(id);
    if (h !== undefined) this.b.close(h, id, 2, msg === null ? null : Buffer.from(msg));
  }

  /** Close both sockets at once. */
  abort(id: number): void {
    const h = this.handle(id);
    if (h !== undefined) this.b.close(h, id, 1, null);
  }

  stats(group: number): PumpStats {
    const out = { bytesFromClients: 0, bytesToClients: 0, live: 0 };
    for (const h of this.handles) {
      const [a, b, live] = this.b.stats(h, group);
      out.bytesFromClients += a;
      out.bytesToClients += b;
      out.live += live;
    }
    return out;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const h of this.handles) this.b.destroy(h);
    if (Pump.shared === this) Pump.shared = null;
    // The threads have closed every descriptor; their last notifications may be dropped with the callbacks, so
    // every session not yet told is told now (exactly once: the map entry goes first).
    for (const id of [...this.sessions.keys()]) this.closed(id);
  }

  /** A pump of its own (not the process's shared one), e.g. for a test that ends its threads. */
  static create(threads: number): Pump | null {
    const b = loadBinding();
    return b && threads > 0 ? new Pump(b, Math.min(threads, 64)) : null;
  }

  private static shared: Pump | null = null;
  /**
   * The process's pump with `threads` threads, started on first use (later calls get the same pump whatever
   * they ask); null when threads is 0 or the native pump is unavailable (see pumpUnavailableReason).
   */
  static get(threads: number): Pump | null {
    if (Pump.shared) return Pump.shared;
    if (threads <= 0) return null;
    const b = loadBinding();
    if (!b) return null;
    Pump.shared = new Pump(b, Math.min(threads, 64));
    return Pump.shared;
  }
}
