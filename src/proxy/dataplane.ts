// The proxy's data plane for one listener: accepts clients, holds them while the gate is closed, pipes bytes
// to the routed master at L4, freezes sessions on a closed gate and fences (closes) sessions bound to a master
// that is no longer the route. Shell code: it makes no routing decision of its own (those come from Router).
// Forwarding of an open session is done by the native pump (src/proxy/pump.ts, its own threads) when available:
// JS accepts, holds, dials and decides, then hands both sockets over and sends freeze/fence commands. Without
// the pump (not built, VIGIL_PUMP=js or pumpThreads 0) the same session is piped in JS.
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';
import { type Addr, addrKey, sameAddr } from './events.js';
import { MuxUpstream, type MuxClient } from './mux.js';
import { scanRequest, scan, INCOMPLETE, EMPTY, MUX_COMMANDS, PartialFrame } from './frames.js';
import { Pump, pumpUnavailableReason } from './pump.js';

export interface DataPlaneOptions {
  masterName: string;
  listen: Addr;
  /** Longest a client waits for a confirmed master (held new connection or frozen session), in ms. */
  maxHoldMs: number;
  /** Upstream connect deadline (ms). */
  connectTimeoutMs: number;
  /** Delay (ms) before re-dialling after an upstream connect failure (within the hold budget). */
  redialDelayMs: number;
  /** Close client connections idle this long (ms); 0 = never (pub/sub and blocking commands need that). */
  idleTimeoutMs: number;
  /** TCP keepalive initial delay (ms) on both sides; 0 = off. */
  keepAliveMs: number;
  /** Source address of the connections to Redis (`--bind-source-addr`); default: the kernel's choice. */
  bindSourceAddr?: string | undefined;
  /**
   * Multiplex clients that only send simple stateless commands over one shared upstream connection; a client
   * that sends anything else is moved to its own connection (pinned) for the rest of its life.
   */
  mux?: boolean;
  /**
   * Native pump threads for forwarding (shared by every listener of the process; the first listener's value
   * wins); 0 = forward in JavaScript. Default 0 here; the CLI and startProxy default to 2.
   */
  pumpThreads?: number;
  /**
   * Most client connections at once (held, open or closing); more are answered `-ERR max number of clients
   * reached` (Redis's own reply) and closed. 0 or unset = no limit; startProxy derives one from the open-file limit.
   */
  maxClients?: number;
  onLog: (level: 'info' | 'warn', msg: string, fields: { [k: string]: unknown }) => void;
}

export interface DataPlaneStats {
  accepted: number;
  active: number;
  held: number;
  frozen: number;
  bytesFromClients: number;
  bytesToClients: number;
  /** Held connections that reached a master, and the total/maximum time they waited (ms). */
  released: number;
  holdTotalMs: number;
  holdMaxMs: number;
  /** Clients refused with an error after maxHoldMs. */
  refused: number;
  /** Clients turned away because maxClients were connected. */
  overLimit: number;
  /** Sessions closed because their master stopped being the route. */
  fenced: number;
  upstreamConnectFailures: number;
  /** Clients currently multiplexed on the shared upstream, and clients moved to their own connection. */
  muxed: number;
  pinned: number;
  /** 'native' when open sessions are forwarded by the native pump, 'js' otherwise. */
  forwarding: 'native' | 'js';
  pumpThreads: number;
}

type SessionState = 'held' | 'dialing' | 'open' | 'closed';

/** Most reply bytes a mux client's socket may hold unflushed before the shared upstream stops reading. */
const MUX_REPLY_HWM = 1024 * 1024;
/** Most request bytes a mux client may have unanswered on the shared upstream; its reads pause above it. */
const MUX_UNANSWERED_MAX = 1024 * 1024;
/** A request (mux mode) whose frame is longer than this pins the client instead of being buffered whole. */
const MUX_PARTIAL_MAX = 1024 * 1024;
/** Longest a mux client over MUX_REPLY_HWM may hold up the shared upstream before it is closed (ms). */
const MUX_STALL_MS = 5000;

/** Longest a pinned mux client's hand-over to the native pump waits for its mux replies to be flushed (ms). */
const HANDOVER_FLUSH_MS = 2000;

class Session implements MuxClient {
  state: SessionState = 'held';
  /** 'mux' while on the shared upstream; 'l4' once it has its own connection. */
  mode: 'l4' | 'mux' = 'l4';
  alive = true;
  outstanding = 0;
  unanswered = 0;
  /** A request cut by the end of a read (mux mode). */
  readonly partial = new PartialFrame();
  /** Bytes to send first on the pinned connection (the first request that cannot be multiplexed, and after). */
  pinBuf: Buffer | null = null;
  /** The client half-closed while on the shared upstream. */
  ended = false;
  plane: DataPlane | null = null;
  upstream: Socket | null = null;
  target: Addr | null = null;
  frozen = false;
  /** Native pump session id once handed over (0 = forwarded in JS or not open). */
  pumpId = 0;
  /** Client reads paused because the upstream is not draining. */
  bpPaused = false;
  /** When this session started waiting (held or frozen), ms since epoch; 0 = not waiting. */
  waitingSince = 0;
  waitTimer: NodeJS.Timeout | null = null;
  constructor(readonly client: Socket) {}
  deliver(bytes: Buffer): boolean {
    return this.plane ? this.plane.muxDeliver(this, bytes) : true;
  }
  whenWritable(cb: () => void): void {
    if (this.plane) this.plane.muxWhenWritable(this, cb);
    else cb();
  }
  answered(): void {
    this.plane?.muxAnswered(this);
  }
  drained(): void {
    if (this.outstanding !== 0) return;
    if (this.pinBuf) this.plane?.muxPin(this);
    else if (this.ended) this.plane?.muxEnded(this);
  }
  fail(): void {
    this.plane?.muxFail(this);
  }
  requeue(bytes: Buffer): void {
    this.pinBuf = this.pinBuf ? Buffer.concat([bytes, this.pinBuf]) : bytes;
    this.plane?.muxPin(this);
  }
}

export class DataPlane {
  private readonly server: Server;
  private readonly sessions = new Set<Session>();
  private readonly warned = new Map<string, { at: number; skipped: number }>();
  private route: Addr | null = null;
  private gateOpen = false;
  private gateReason = 'starting';
  private readonly st: DataPlaneStats = {
    accepted: 0,
    active: 0,
    held: 0,
    frozen: 0,
    bytesFromClients: 0,
    bytesToClients: 0,
    released: 0,
    holdTotalMs: 0,
    holdMaxMs: 0,
    refused: 0,
    overLimit: 0,
    fenced: 0,
    upstreamConnectFailures: 0,
    muxed: 0,
    pinned: 0,
    forwarding: 'js',
    pumpThreads: 0,
  };
  private mux: MuxUpstream | null = null;
  private readonly pump: Pump | null = null;
  private readonly pumpGroup: number = 0;

  constructor(private readonly opts: DataPlaneOptions) {
    this.server = createServer({ pauseOnConnect: true, noDelay: true, allowHalfOpen: true }, (c) =>
      this.onConnection(c),
    );
    this.server.on('error', (err) => opts.onLog('warn', 'listener error', { error: err.message }));
    const threads = opts.pumpThreads ?? 0;
    if (threads > 0) {
      this.pump = Pump.get(threads);
      if (this.pump) {
        this.pumpGroup = this.pump.newGroup();
        this.st.forwarding = 'native';
        this.st.pumpThreads = this.pump.threads;
        this.pump.onThreadExit ??= (thread) =>
          opts.onLog('warn', 'native pump thread exited: its sessions were closed, new ones go to the others', {
            thread,
          });
      } else {
        opts.onLog('warn', 'forwarding in JavaScript: native pump unavailable', { reason: pumpUnavailableReason() });
      }
    }
  }

  listen(): Promise<Addr> {
    return new Promise((resolve, reject) => {
      const onErr = (err: Error): void => reject(err);
      this.server.once('error', onErr);
      this.server.listen({ host: this.opts.listen.host, port: this.opts.listen.port }, () => {
        this.server.off('error', onErr);
        const a = this.server.address() as AddressInfo;
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  stats(): DataPlaneStats {
    let held = 0;
    let frozen = 0;
    let active = 0;
    let muxed = 0;
    for (const s of this.sessions) {
      if (s.state === 'held' || s.state === 'dialing') held++;
      else if (s.state === 'open') {
        active++;
        if (s.mode === 'mux') muxed++;
        if (s.frozen) frozen++;
      }
    }
    // Bytes of sessions forwarded by the pump are counted there.
    const p = this.pump?.stats(this.pumpGroup);
    return {
      ...this.st,
      held,
      frozen,
      active,
      muxed,
      bytesFromClients: this.st.bytesFromClients + (p?.bytesFromClients ?? 0),
      bytesToClients: this.st.bytesToClients + (p?.bytesToClients ?? 0),
    };
  }

  async close(): Promise<void> {
    for (const s of this.sessions) this.destroy(s);
    this.mux?.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // --- control inputs ----------------------------------------------------------------------------------------

  setGate(open: boolean, reason: string): void {
    this.gateOpen = open;
    this.gateReason = reason;
    const now = Date.now();
    for (const s of this.sessions) {
      if (open) {
        if (s.state === 'held') this.release(s);
        else if (s.state === 'open' && s.frozen) this.unfreeze(s, now);
      } else if (s.state === 'open' && !s.frozen) {
        this.freeze(s, now);
      }
    }
    if (open) this.mux?.flush();
  }

  /** The route moved: fence every session bound elsewhere; held sessions wait for the gate. */
  setRoute(to: Addr): void {
    this.route = to;
    if (this.mux && !sameAddr(this.mux.target, to)) {
      const old = this.mux;
      this.mux = null;
      old.close();
    }
    let fenced = 0;
    for (const s of this.sessions) {
      if (s.state === 'dialing' && !sameAddr(s.target, to)) {
        // Nothing was forwarded yet: re-dial the new master instead of closing the client.
        this.detachUpstream(s);
        s.state = 'held';
      } else if (s.state === 'open' && !sameAddr(s.target, to)) {
        this.fence(s);
        fenced++;
      }
    }
    this.st.fenced += fenced;
    if (fenced > 0)
      this.opts.onLog('info', 'closed sessions bound to the previous master', { count: fenced, to: addrKey(to) });
    if (this.gateOpen) for (const s of this.sessions) if (s.state === 'held') this.release(s);
  }

  // --- sessions -----------------------------------------------------------------------------------------------

  private onConnection(client: Socket): void {
    this.st.accepted++;
    if (this.sessions.size >= (this.opts.maxClients || Infinity)) {
      this.turnAway(client);
      return;
    }
    const s = new Session(client);
    if (this.opts.mux) s.mode = 'mux';
    this.sessions.add(s);
    client.on('error', () => this.destroy(s));
    client.on('close', () => this.destroy(s));
    if (this.opts.keepAliveMs > 0) client.setKeepAlive(true, this.opts.keepAliveMs);
    if (this.opts.idleTimeoutMs > 0) {
      client.setTimeout(this.opts.idleTimeoutMs, () => this.destroy(s));
    }
    this.startWaiting(s, Date.now());
    if (this.gateOpen && this.route) this.release(s);
  }

  /** Over maxClients: Redis's reply, then close (a client that does not read is cut after 1 s). */
  private turnAway(client: Socket): void {
    this.st.overLimit++;
    client.on('error', () => undefined);
    client.setTimeout(1000, () => client.destroy());
    client.end('-ERR max number of clients reached\r\n');
    client.resume(); // read and drop whatever it sends, so its FIN is seen
    this.warnEvery('max-clients', 'max clients reached: turning new clients away', {
      maxClients: this.opts.maxClients,
      turnedAway: this.st.overLimit,
    });
  }

  /**
   * A warning that can repeat per client (a flood, a master restarting under many held clients): logged at most
   * once per 10 s per key, with how many were left out since the last one.
   */
  private warnEvery(key: string, msg: string, fields: { [k: string]: unknown }): void {
    const now = Date.now();
    const w = this.warned.get(key);
    if (w && now - w.at < 10_000) {
      w.skipped++;
      return;
    }
    this.warned.set(key, { at: now, skipped: 0 });
    if (this.warned.size > 64) for (const [k, v] of this.warned) if (now - v.at >= 10_000) this.warned.delete(k);
    this.opts.onLog('warn', msg, w?.skipped ? { ...fields, alsoSince: w.skipped } : fields);
  }

  /** A held client may go: onto the shared upstream (mux) or its own connection. */
  private release(s: Session): void {
    if (this.opts.mux && s.mode === 'mux' && s.state === 'held' && s.pinBuf === null) {
      this.attachMux(s);
      return;
    }
    this.dial(s);
  }

  // --- multiplexing ---------------------------------------------------------------------------------------------

  private attachMux(s: Session): void {
    const route = this.route;
    if (!route) return;
    s.state = 'open';
    s.target = route;
    s.plane = this;
    this.stopWaiting(s, Date.now(), true);
    const client = s.client;
    client.on('data', (chunk: Buffer) => this.onMuxData(s, chunk));
    client.on('end', () => {
      s.ended = true;
      if (s.outstanding === 0 && s.pinBuf === null) this.destroySoon(s);
    });
    if (!this.gateOpen) this.freeze(s, Date.now());
    else client.resume();
  }

  private muxUpstream(): MuxUpstream | null {
    const route = this.route;
    if (!route) return null;
    if (!this.mux || this.mux.isClosed) {
      this.mux = new MuxUpstream(
        route,
        this.opts.bindSourceAddr,
        () => this.gateOpen,
        (m) => {
          if (this.mux === m) this.mux = null;
        },
      );
    }
    return this.mux;
  }

  private onMuxData(s: Session, chunk: Buffer): void {
    this.st.bytesFromClients += chunk.length;
    if (s.pinBuf) {
      // Already leaving the shared connection: keep everything for the pinned one, in order (the client is
      // paused, so this is at most what was already read).
      s.pinBuf = Buffer.concat([s.pinBuf, chunk]);
      return;
    }
    const b = s.partial.take(chunk);
    if (b === null) return;
    const resume = s.partial.resume;
    let at = 0;
    let sendFrom = 0;
    let count = 0;
    const flushRange = (to: number): void => {
      if (count > 0) {
        const mux = this.muxUpstream();
        if (mux) mux.send(s, b.subarray(sendFrom, to), count);
      }
      count = 0;
    };
    while (at < b.length) {
      const e = scanRequest(b, at, at === 0 ? resume : null);
      if (e === INCOMPLETE) {
        if (scan.need - at > MUX_PARTIAL_MAX || b.length - at > MUX_PARTIAL_MAX) {
          // Too big to hold whole: such a client is better off on its own connection, streamed at L4.
          flushRange(at);
          this.muxPinFrom(s, b, at);
          return;
        }
        flushRange(at);
        s.partial.keep(b, at);
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
        this.muxPinFrom(s, b, at);
        return;
      }
      at = e;
      count++;
    }
    if (at >= b.length) flushRange(at);
    if (s.unanswered > MUX_UNANSWERED_MAX && !s.bpPaused) {
      // Too much asked and not yet answered: stop reading this client until replies come (muxAnswered).
      s.bpPaused = true;
      s.client.pause();
    }
  }

  /** Leave the shared connection from b[from] on: keep those bytes for the pinned connection, stop reading. */
  private muxPinFrom(s: Session, b: Buffer, from: number): void {
    s.pinBuf = Buffer.from(b.subarray(from));
    s.client.pause();
    if (s.outstanding === 0) this.muxPin(s);
  }

  /** Move a drained mux session to its own upstream connection, sending the pinned bytes first. */
  muxPin(s: Session): void {
    if (s.state !== 'open' || s.mode !== 'mux') return;
    this.st.pinned++;
    s.mode = 'l4';
    s.bpPaused = false;
    s.client.removeAllListeners('data');
    s.client.removeAllListeners('end');
    s.client.pause();
    s.state = 'held';
    s.frozen = false;
    this.startWaiting(s, Date.now());
    // While the gate is closed it waits like any held client; setGate/setRoute release it.
    if (this.gateOpen && this.route) this.dial(s);
  }

  muxEnded(s: Session): void {
    this.destroySoon(s);
  }

  /** false when the client's socket holds more than MUX_REPLY_HWM unflushed (the shared upstream then waits). */
  muxDeliver(s: Session, bytes: Buffer): boolean {
    this.st.bytesToClients += bytes.length;
    s.client.write(bytes);
    return s.client.writableLength <= MUX_REPLY_HWM;
  }

  /**
   * `cb` once the client has drained (or is gone). A client that stays over its high-water mark for
   * MUX_STALL_MS is closed: the shared connection, and every other client on it, waits for it meanwhile.
   */
  muxWhenWritable(s: Session, cb: () => void): void {
    const client = s.client;
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
      this.warnEvery('mux-stall', 'closing a mux client that does not read its replies', {
        stalledMs: MUX_STALL_MS,
      });
      this.destroy(s);
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
  muxAnswered(s: Session): void {
    if (s.bpPaused && s.unanswered <= MUX_UNANSWERED_MAX / 2 && s.mode === 'mux' && s.state === 'open') {
      s.bpPaused = false;
      if (!s.frozen && s.pinBuf === null) s.client.resume();
    }
  }

  /** The shared connection died with replies pending for this client: close it (the outcome is unknown). */
  muxFail(s: Session): void {
    this.destroySoon(s);
  }

  private startWaiting(s: Session, now: number): void {
    if (s.waitingSince !== 0) return;
    s.waitingSince = now;
    s.waitTimer = setTimeout(() => this.expire(s), this.opts.maxHoldMs);
  }

  private stopWaiting(s: Session, now: number, released: boolean): void {
    if (s.waitingSince === 0) return;
    if (s.waitTimer) clearTimeout(s.waitTimer);
    s.waitTimer = null;
    if (released) {
      const waited = now - s.waitingSince;
      this.st.released++;
      this.st.holdTotalMs += waited;
      if (waited > this.st.holdMaxMs) this.st.holdMaxMs = waited;
    }
    s.waitingSince = 0;
  }

  private expire(s: Session): void {
    s.waitTimer = null;
    if (s.state === 'closed') return;
    this.st.refused++;
    const why = this.route ? this.gateReason : 'no confirmed master yet';
    const msg = `-ERR vigil-proxy: no confirmed master for '${this.opts.masterName}' after ${this.opts.maxHoldMs} ms (${why}); retry later\r\n`;
    this.destroySoon(s, msg);
  }

  private dial(s: Session): void {
    const route = this.route;
    if (!route || s.state === 'closed') return;
    s.state = 'dialing';
    s.target = route;
    const up = connect({
      host: route.host,
      port: route.port,
      noDelay: true,
      allowHalfOpen: true,
      ...(this.opts.bindSourceAddr !== undefined ? { localAddress: this.opts.bindSourceAddr } : {}),
    });
    s.upstream = up;
    const timer = setTimeout(() => up.destroy(new Error('connect timeout')), this.opts.connectTimeoutMs);
    up.once('connect', () => {
      clearTimeout(timer);
      if (s.state !== 'dialing' || s.upstream !== up) {
        up.destroy();
        return;
      }
      if (this.opts.keepAliveMs > 0) up.setKeepAlive(true, this.opts.keepAliveMs);
      this.wire(s, up);
    });
    up.on('error', (err) => {
      clearTimeout(timer);
      if (s.upstream !== up) return;
      if (s.state === 'dialing') {
        this.st.upstreamConnectFailures++;
        s.upstream = null;
        s.state = 'held';
        up.destroy();
        this.warnEvery(`connect ${addrKey(route)} ${err.message}`, 'upstream connect failed; holding client', {
          to: addrKey(route),
          error: err.message,
        });
        // Retry within the hold budget: the route may be the right one and just restarting, or about to move.
        setTimeout(() => {
          if (s.state === 'held' && this.gateOpen) this.dial(s);
        }, this.opts.redialDelayMs).unref();
      } else {
        this.destroy(s);
      }
    });
  }

  private wire(s: Session, up: Socket): void {
    s.state = 'open';
    this.stopWaiting(s, Date.now(), true);
    if (this.pump && s.client.writableLength > 0) {
      // A mux client moving to its own connection still has replies in its socket's JS buffer: handing the
      // descriptor to the pump now would drop them (the JS socket is destroyed). Wait until they are in the
      // kernel (an empty write's callback runs once everything before it is flushed); a client too slow for that
      // within the deadline is forwarded in JS, which keeps the order anyway.
      let done = false;
      const timer = setTimeout(() => {
        done = true;
        if (s.state === 'open' && s.upstream === up) this.pipe(s, up);
      }, HANDOVER_FLUSH_MS);
      s.client.write(Buffer.alloc(0), () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (s.state === 'open' && s.upstream === up && !this.handOver(s, up)) this.pipe(s, up);
      });
      return;
    }
    if (this.pump && this.handOver(s, up)) return;
    this.pipe(s, up);
  }

  /** Forward an open session in JavaScript. */
  private pipe(s: Session, up: Socket): void {
    const client = s.client;
    const st = this.st;
    client.on('data', (chunk: Buffer) => {
      st.bytesFromClients += chunk.length;
      if (!up.write(chunk)) {
        s.bpPaused = true;
        client.pause();
      }
    });
    up.on('drain', () => {
      s.bpPaused = false;
      if (!s.frozen && s.state === 'open') client.resume();
    });
    up.on('data', (chunk: Buffer) => {
      st.bytesToClients += chunk.length;
      if (!client.write(chunk)) up.pause();
    });
    client.on('drain', () => up.resume());
    if (s.pinBuf && this.gateOpen) {
      up.write(s.pinBuf);
      s.pinBuf = null;
    }
    client.on('end', () => up.end());
    up.on('end', () => client.end());
    up.on('close', () => {
      if (s.upstream === up) this.destroySoon(s);
    });
    if (!this.gateOpen) this.freeze(s, Date.now());
    else client.resume();
  }

  /**
   * Give an open session's two sockets to the native pump. Runs synchronously right after the upstream
   * connected, so no libuv read can happen in between; bytes JS already holds for the upstream (the pinned
   * request of a mux client, anything buffered in the client's stream) go first. Returns false (the caller pipes
   * in JS) when the sockets cannot be handed over.
   */
  private handOver(s: Session, up: Socket): boolean {
    const pump = this.pump;
    const client = s.client;
    // Bytes still in either JS socket would be lost with it (wire() waits for mux replies to be flushed first).
    if (!pump || up.readableLength > 0 || client.writableLength > 0) return false;
    // Pinned bytes wait for an open gate; keep such a session in JS (rare: a mux client pinned mid-failover).
    if (s.pinBuf && !this.gateOpen) return false;
    client.removeAllListeners('data');
    const pre: Buffer[] = s.pinBuf ? [s.pinBuf] : [];
    for (let c = client.read() as Buffer | null; c !== null; c = client.read() as Buffer | null) pre.push(c);
    const frozen = !this.gateOpen;
    const preBytes = pre.length > 0 ? Buffer.concat(pre) : null;
    const onClosed = (): void => this.pumpClosed(s);
    const id = pump.add(this.pumpGroup, client, up, preBytes, frozen, onClosed, this.opts.idleTimeoutMs);
    if (id === 0) {
      if (pre.length > 0) s.pinBuf = Buffer.concat(pre);
      return false;
    }
    s.pumpId = id;
    s.pinBuf = null;
    s.upstream = null;
    for (const sock of [client, up]) {
      sock.removeAllListeners();
      sock.on('error', () => undefined);
      sock.destroy();
    }
    if (frozen) {
      s.frozen = true;
      this.startWaiting(s, Date.now());
    }
    return true;
  }

  /** The pump ended a session (either side closed, or after our fence/abort). */
  private pumpClosed(s: Session): void {
    if (s.state !== 'closed') this.forget(s);
  }

  /** Drop a session's bookkeeping (its sockets are gone or owned by the pump). */
  private forget(s: Session): void {
    s.state = 'closed';
    s.alive = false;
    if (s.waitTimer) clearTimeout(s.waitTimer);
    s.waitTimer = null;
    s.waitingSince = 0;
    this.sessions.delete(s);
  }

  private freeze(s: Session, now: number): void {
    s.frozen = true;
    if (s.pumpId !== 0) this.pump?.freeze(s.pumpId, true);
    else s.client.pause();
    this.startWaiting(s, now);
  }

  private unfreeze(s: Session, now: number): void {
    s.frozen = false;
    this.stopWaiting(s, now, true);
    if (!sameAddr(s.target, this.route)) {
      this.fence(s);
      return;
    }
    if (s.pumpId !== 0) {
      this.pump?.freeze(s.pumpId, false);
      return;
    }
    if (s.pinBuf && s.upstream && s.mode === 'l4') {
      s.upstream.write(s.pinBuf);
      s.pinBuf = null;
    }
    // A mux client with pinned bytes stays paused until its own connection is wired.
    if (!s.bpPaused && !(s.mode === 'mux' && s.pinBuf)) s.client.resume();
  }

  /** Close a session bound to a master that is no longer the route: flush what we have, then close. */
  private fence(s: Session): void {
    this.detachUpstream(s);
    this.destroySoon(s);
  }

  private detachUpstream(s: Session): void {
    const up = s.upstream;
    s.upstream = null;
    if (up) {
      up.removeAllListeners('data');
      up.on('error', () => undefined);
      up.destroy();
    }
  }

  /** Close gently: the client gets what it is owed (plus `msg`, if any), then FIN; closed for good after 1 s. */
  private destroySoon(s: Session, msg: string | null = null): void {
    if (s.state === 'closed') return;
    this.forget(s);
    if (s.pumpId !== 0) {
      this.pump?.fence(s.pumpId, msg);
      return;
    }
    this.detachUpstream(s);
    const client = s.client;
    client.removeAllListeners('data');
    client.on('error', () => undefined);
    if (msg === null) client.end();
    else client.end(msg);
    setTimeout(() => client.destroy(), 1000).unref();
  }

  /** Close at once (client error/close, proxy shutdown). */
  private destroy(s: Session): void {
    const live = s.state !== 'closed' || this.sessions.has(s);
    this.forget(s);
    if (s.pumpId !== 0) {
      if (live) this.pump?.abort(s.pumpId);
      return;
    }
    if (live) this.detachUpstream(s);
    s.client.destroy();
  }
}
