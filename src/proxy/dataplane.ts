// The proxy's data plane for one listener: accepts clients, holds them while the gate is closed, pipes bytes
// to the routed master at L4, freezes sessions on a closed gate and fences (closes) sessions bound to a master
// that is no longer the route. Shell code: it makes no routing decision of its own (those come from Router).
// Forwarding of an open session is done by the native pump (src/proxy/pump.ts, its own threads) when available:
// JS accepts, holds and decides; the pump dials the upstream itself (JS hands it the client's descriptor and the
// address, and is told connected or failed), or, where it cannot (a host name, a client already read in JS, e.g.
// --mux), JS dials and hands both sockets over; then JS sends freeze/fence commands. Without
// the pump (not built, VIGIL_PUMP=js or pumpThreads 0) the same session is piped in JS. A session's life is
// the SessionState union (session.ts); its bytes are moved by one Forwarder: forward-js.ts, forward-pump.ts or
// forward-mux.ts (with mux.ts).
import { createServer, connect, isIP, type Server, type Socket, type AddressInfo } from 'node:net';
import { getSystemErrorName } from 'node:util';
import { type Addr, addrKey, sameAddr } from './events.js';
import { MuxUpstream } from './mux.js';
import { Pump, pumpUnavailableReason } from './pump.js';
import { type Forwarder, Session, dropUpstream, endClient } from './session.js';
import { JsPipe } from './forward-js.js';
import { PumpForwarder, handOver } from './forward-pump.js';
import { MuxForwarder, type MuxHost } from './forward-mux.js';

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
  /** Idle sessions moved to the new route at a switch instead of being closed (repoint.ts). */
  repointed: number;
  upstreamConnectFailures: number;
  /** Upstream connects made by the native pump itself (the rest, if any, were dialled in JavaScript). */
  pumpDials: number;
  /** Clients currently multiplexed on the shared upstream, and clients moved to their own connection. */
  muxed: number;
  pinned: number;
  /** 'native' when open sessions are forwarded by the native pump, 'js' otherwise. */
  forwarding: 'native' | 'js';
  pumpThreads: number;
}

/** Longest a pinned mux client's hand-over to the native pump waits for its mux replies to be flushed (ms). */
const HANDOVER_FLUSH_MS = 2000;

export class DataPlane implements MuxHost {
  private readonly server: Server;
  private readonly sessions = new Set<Session>();
  private readonly warned = new Map<string, { at: number; skipped: number }>();
  private route: Addr | null = null;
  private gateIsOpen = false;
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
    repointed: 0,
    upstreamConnectFailures: 0,
    pumpDials: 0,
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
      const st = s.state;
      if (st.kind === 'held' || st.kind === 'dialing' || st.kind === 'connecting') held++;
      else if (st.kind === 'open' || st.kind === 'flushing') {
        active++;
        if (st.kind === 'open' && st.fwd.kind === 'mux') muxed++;
        if (st.frozen) frozen++;
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
    for (const s of this.sessions) this.closeNow(s);
    this.mux?.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // --- control inputs ----------------------------------------------------------------------------------------

  setGate(open: boolean, reason: string): void {
    this.gateIsOpen = open;
    this.gateReason = reason;
    const now = Date.now();
    for (const s of this.sessions) {
      const kind = s.state.kind;
      const st = s.state;
      if (st.kind === 'connecting') {
        // Nothing forwarded yet: the pump only learns how to start (the wait since accept goes on).
        if (st.frozen === open) {
          st.frozen = !open;
          this.pump?.freeze(st.id, !open);
        }
      } else if (open) {
        if (kind === 'held') this.release(s);
        else if (s.frozen) this.unfreeze(s, now);
      } else if ((kind === 'open' || kind === 'flushing') && !s.frozen) {
        this.freeze(s, now);
      }
    }
    if (open) this.mux?.flush();
  }

  /**
   * The route moved: every session bound elsewhere is re-pointed if it is idle and stateless (repoint.ts), else
   * fenced (closed); held sessions wait for the gate.
   */
  setRoute(to: Addr): void {
    this.route = to;
    if (this.mux && !sameAddr(this.mux.target, to)) {
      const old = this.mux;
      this.mux = null;
      old.close();
    }
    let fenced = 0;
    let repointed = 0;
    for (const s of this.sessions) {
      const st = s.state;
      if (st.kind === 'dialing' && !sameAddr(st.target, to)) {
        // Nothing was forwarded yet: re-dial the new master instead of closing the client.
        dropUpstream(st.upstream);
        s.state = { kind: 'held' };
      } else if (st.kind === 'connecting' && !sameAddr(st.target, to)) {
        // The pump may have connected (and forwarded) already: ask it; it answers failed (re-dial) or connected
        // (fenced, like an open session of the old master).
        if (!st.cancelling) this.pump?.cancel(st.id, null);
        st.cancelling = true;
      } else if (st.kind === 'open' && !sameAddr(st.target, to) && st.fwd.canRepoint()) {
        this.repoint(s, st.fwd, st.frozen, to);
        repointed++;
      } else if ((st.kind === 'open' || st.kind === 'flushing') && !sameAddr(st.target, to)) {
        this.closeSoon(s);
        fenced++;
      }
    }
    this.st.fenced += fenced;
    this.st.repointed += repointed;
    if (fenced > 0)
      this.opts.onLog('info', 'closed sessions bound to the previous master', { count: fenced, to: addrKey(to) });
    if (repointed > 0)
      this.opts.onLog('info', 'moved idle sessions to the new master', { count: repointed, to: addrKey(to) });
    if (this.gateIsOpen) for (const s of this.sessions) if (s.state.kind === 'held') this.release(s);
  }

  /**
   * Move an idle, stateless session (its forwarder said canRepoint) to the new route instead of closing it: the
   * forwarder lets go of the old upstream at once, so no byte of the client reaches the old master again. A
   * --mux session stays on the shared upstream, which now goes to the new route; any other session waits as a
   * held one (its hold budget goes on if it was frozen) and dials the new master when the gate is open.
   */
  private repoint(s: Session, fwd: Forwarder, frozen: boolean, to: Addr): void {
    fwd.detach();
    if (fwd.kind === 'mux') {
      s.state = { kind: 'open', target: to, fwd, frozen };
      return;
    }
    s.state = { kind: 'held' };
    this.startWaiting(s, Date.now());
  }

  // --- ForwarderHost ---------------------------------------------------------------------------------------------

  get gateOpen(): boolean {
    return this.gateIsOpen;
  }

  upstreamGone(s: Session, fwd: Forwarder): void {
    const st = s.state;
    if (st.kind !== 'open' || st.fwd !== fwd || this.gateIsOpen) return;
    this.st.repointed++;
    this.repoint(s, fwd, st.frozen, st.target);
  }

  countFromClient(n: number): void {
    this.st.bytesFromClients += n;
  }

  countToClient(n: number): void {
    this.st.bytesToClients += n;
  }

  /**
   * A warning that can repeat per client (a flood, a master restarting under many held clients): logged at most
   * once per 10 s per key, with how many were left out since the last one.
   */
  warnEvery(key: string, msg: string, fields: { [k: string]: unknown }): void {
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

  muxUpstream(): MuxUpstream | null {
    const route = this.route;
    if (!route) return null;
    if (!this.mux || this.mux.isClosed) {
      this.mux = new MuxUpstream(
        route,
        this.opts.bindSourceAddr,
        () => this.gateIsOpen,
        (m) => {
          if (this.mux === m) this.mux = null;
        },
      );
    }
    return this.mux;
  }

  /** Move a drained mux session to its own upstream connection, sending `bytes` first. */
  pin(s: Session, bytes: Buffer): void {
    this.st.pinned++;
    s.muxable = false;
    s.carry = bytes;
    s.state = { kind: 'held' };
    this.startWaiting(s, Date.now());
    // While the gate is closed it waits like any held client; setGate/setRoute release it.
    if (this.gateIsOpen && this.route) this.dial(s);
  }

  /** Close gently: the client gets what it is owed (plus `msg`, if any), then FIN; closed for good after 1 s. */
  closeSoon(s: Session, msg: string | null = null): void {
    const st = s.state;
    if (st.kind === 'closed') return;
    this.forget(s);
    if (st.kind === 'open') {
      st.fwd.fence(msg);
      return;
    }
    if (st.kind === 'connecting') {
      // Connected meanwhile: the pump fences with msg; else it gives the client back and we end it (pumpDial).
      st.endMsg = msg;
      this.pump?.cancel(st.id, msg);
      return;
    }
    if (st.kind === 'dialing' || st.kind === 'flushing') dropUpstream(st.upstream);
    endClient(s.client, msg);
  }

  /** Close at once (client error/close, proxy shutdown). */
  closeNow(s: Session): void {
    const st = s.state;
    this.forget(s);
    switch (st.kind) {
      case 'open':
        st.fwd.abort();
        return;
      case 'dialing':
      case 'flushing':
        dropUpstream(st.upstream);
        break;
      case 'connecting':
        this.pump?.abort(st.id);
        break;
      case 'held':
      case 'closed':
        break;
    }
    s.client.destroy();
  }

  // --- sessions -----------------------------------------------------------------------------------------------

  private onConnection(client: Socket): void {
    this.st.accepted++;
    if (this.sessions.size >= (this.opts.maxClients || Infinity)) {
      this.turnAway(client);
      return;
    }
    const s = new Session(client, this.opts.mux === true);
    this.sessions.add(s);
    client.on('error', () => this.closeNow(s));
    client.on('close', () => this.closeNow(s));
    if (this.opts.keepAliveMs > 0) client.setKeepAlive(true, this.opts.keepAliveMs);
    if (this.opts.idleTimeoutMs > 0) {
      client.setTimeout(this.opts.idleTimeoutMs, () => this.closeNow(s));
    }
    this.startWaiting(s, Date.now());
    if (this.gateIsOpen && this.route) this.release(s);
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

  /** A held client may go: onto the shared upstream (mux) or its own connection. */
  private release(s: Session): void {
    if (s.muxable && s.state.kind === 'held' && s.carry === null) {
      this.attachMux(s);
      return;
    }
    this.dial(s);
  }

  private attachMux(s: Session): void {
    const route = this.route;
    if (!route) return;
    const fwd = new MuxForwarder(s, this);
    s.readInJs = true;
    s.state = { kind: 'open', target: route, fwd, frozen: false };
    this.stopWaiting(s, Date.now(), true);
    if (!this.gateIsOpen) this.freeze(s, Date.now());
    else fwd.start();
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
    if (s.state.kind === 'closed') return;
    this.st.refused++;
    const why = this.route ? this.gateReason : 'no confirmed master yet';
    const msg = `-ERR vigil-proxy: no confirmed master for '${this.opts.masterName}' after ${this.opts.maxHoldMs} ms (${why}); retry later\r\n`;
    this.closeSoon(s, msg);
  }

  private dial(s: Session): void {
    const route = this.route;
    if (!route || s.state.kind === 'closed') return;
    if (this.pumpDial(s, route)) return;
    const up = connect({
      host: route.host,
      port: route.port,
      noDelay: true,
      allowHalfOpen: true,
      ...(this.opts.bindSourceAddr !== undefined ? { localAddress: this.opts.bindSourceAddr } : {}),
    });
    s.state = { kind: 'dialing', target: route, upstream: up };
    const dialing = (): boolean => s.state.kind === 'dialing' && s.state.upstream === up;
    const timer = setTimeout(() => up.destroy(new Error('connect timeout')), this.opts.connectTimeoutMs);
    up.once('connect', () => {
      clearTimeout(timer);
      if (!dialing()) {
        up.destroy();
        return;
      }
      if (this.opts.keepAliveMs > 0) up.setKeepAlive(true, this.opts.keepAliveMs);
      this.wire(s, route, up);
    });
    up.on('error', (err) => {
      clearTimeout(timer);
      const st = s.state;
      if (dialing()) {
        up.destroy();
        this.dialFailed(s, route, err.message);
      } else if (st.kind === 'flushing' && st.upstream === up) {
        this.closeNow(s);
      }
      // An open session's upstream errors are its forwarder's (JsPipe); the pump took its own copy.
    });
  }

  /** A dial (in JS or by the pump) failed: hold the client and retry within the hold budget. */
  private dialFailed(s: Session, route: Addr, error: string): void {
    this.st.upstreamConnectFailures++;
    s.state = { kind: 'held' };
    this.warnEvery(`connect ${addrKey(route)} ${error}`, 'upstream connect failed; holding client', {
      to: addrKey(route),
      error,
    });
    // Retry within the hold budget: the route may be the right one and just restarting, or about to move.
    setTimeout(() => {
      if (s.state.kind === 'held' && this.gateIsOpen) this.dial(s);
    }, this.opts.redialDelayMs).unref();
  }

  /**
   * Let the native pump dial the upstream itself (no JS socket for it): only for a client never read in JS, with
   * nothing carried or buffered, and numeric addresses. False (nothing changed) when the JS dial must do it.
   */
  private pumpDial(s: Session, route: Addr): boolean {
    const pump = this.pump;
    const c = s.client;
    const src = this.opts.bindSourceAddr;
    if (!pump || s.readInJs || s.carry !== null || c.readableLength > 0 || c.writableLength > 0) return false;
    const family = isIP(route.host);
    if (family === 0 || (src !== undefined && isIP(src) !== family)) return false;
    const frozen = !this.gateIsOpen;
    let connected = false;
    let cs: Extract<Session['state'], { kind: 'connecting' }> | null = null;
    const id = pump.dial(
      this.pumpGroup,
      c,
      route.host,
      route.port,
      src ?? null,
      frozen,
      this.opts.connectTimeoutMs,
      this.opts.keepAliveMs,
      this.opts.idleTimeoutMs,
      {
        onConnected: () => {
          connected = true;
          // The pump forwards from its own copy of the descriptor; the JS socket goes without a FIN.
          c.removeAllListeners();
          c.on('error', () => undefined);
          c.destroy();
          if (!cs || s.state !== cs) return; // closed meanwhile: the pump fences or has aborted it
          const now = Date.now();
          if (cs.cancelling) {
            // The route moved while it connected: fenced by the pump, as an open session of the old master.
            this.forget(s);
            this.st.fenced++;
            return;
          }
          this.stopWaiting(s, now, true);
          s.state = { kind: 'open', target: cs.target, fwd: new PumpForwarder(pump, id), frozen: cs.frozen };
          if (cs.frozen) this.startWaiting(s, now);
        },
        onFailed: (errno) => {
          // Nothing was forwarded and the pump let go of the client: it is ours again.
          if (!cs) return;
          if (s.state !== cs) {
            if (cs.endMsg !== undefined) endClient(c, cs.endMsg); // closed gently while connecting
            return;
          }
          if (cs.cancelling) {
            s.state = { kind: 'held' };
            if (this.gateIsOpen && this.route) this.release(s);
            return;
          }
          const name = getSystemErrorName(-errno);
          const error = name === 'ETIMEDOUT' ? 'connect timeout' : `connect ${name} ${route.host}:${route.port}`;
          this.dialFailed(s, route, error);
        },
        onClosed: () => {
          if (!cs) return;
          const st = s.state;
          if (st === cs) {
            // Ended before it connected (the pump's thread exited, or the pump was destroyed).
            this.closeNow(s);
          } else if (!connected && cs.endMsg !== undefined) {
            endClient(c, cs.endMsg);
          } else if (st.kind === 'open' && st.fwd instanceof PumpForwarder && st.fwd.id === id) {
            this.forget(s);
          }
        },
      },
    );
    if (id === 0) return false;
    this.st.pumpDials++;
    cs = { kind: 'connecting', target: route, id, frozen, cancelling: false, endMsg: undefined };
    s.state = cs;
    return true;
  }

  private wire(s: Session, target: Addr, up: Socket): void {
    this.stopWaiting(s, Date.now(), true);
    if (this.pump && s.client.writableLength > 0) {
      // A mux client moving to its own connection still has replies in its socket's JS buffer: handing the
      // descriptor to the pump now would drop them (the JS socket is destroyed). Wait until they are in the
      // kernel (an empty write's callback runs once everything before it is flushed); a client too slow for that
      // within the deadline is forwarded in JS, which keeps the order anyway.
      const flushing = { kind: 'flushing' as const, target, upstream: up, frozen: false };
      s.state = flushing;
      const still = (): boolean => s.state === flushing;
      let done = false;
      const timer = setTimeout(() => {
        done = true;
        if (still()) this.openJs(s, target, up);
      }, HANDOVER_FLUSH_MS);
      s.client.write(Buffer.alloc(0), () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (still() && !this.openPump(s, target, up)) this.openJs(s, target, up);
      });
      return;
    }
    if (this.pump && this.openPump(s, target, up)) return;
    this.openJs(s, target, up);
  }

  /** Forward an open session in JavaScript. */
  private openJs(s: Session, target: Addr, up: Socket): void {
    const fwd = new JsPipe(s, up, this);
    s.readInJs = true;
    s.state = { kind: 'open', target, fwd, frozen: false };
    if (!this.gateIsOpen) this.freeze(s, Date.now());
    else fwd.start();
  }

  /** Give an open session's two sockets to the native pump; false (nothing changed) if it cannot take them. */
  private openPump(s: Session, target: Addr, up: Socket): boolean {
    if (!this.pump) return false;
    const frozen = !this.gateIsOpen;
    const onClosed = (): void => {
      // The pump ended a session (either side closed, or after our fence/abort).
      if (s.state.kind !== 'closed') this.forget(s);
    };
    const fwd = handOver(this.pump, this.pumpGroup, s, up, frozen, this.opts.idleTimeoutMs, onClosed);
    if (!fwd) return false;
    s.state = { kind: 'open', target, fwd, frozen };
    if (frozen) this.startWaiting(s, Date.now());
    return true;
  }

  /** Drop a session's bookkeeping (its sockets are gone, closing or owned by the pump). */
  private forget(s: Session): void {
    s.state = { kind: 'closed' };
    if (s.waitTimer) clearTimeout(s.waitTimer);
    s.waitTimer = null;
    s.waitingSince = 0;
    this.sessions.delete(s);
  }

  private freeze(s: Session, now: number): void {
    const st = s.state;
    if (st.kind !== 'open' && st.kind !== 'flushing') return;
    st.frozen = true;
    // A flushing session's client is not being read; its forwarder starts frozen.
    if (st.kind === 'open') st.fwd.freeze(true);
    this.startWaiting(s, now);
  }

  private unfreeze(s: Session, now: number): void {
    const st = s.state;
    if (st.kind !== 'open' && st.kind !== 'flushing') return;
    st.frozen = false;
    this.stopWaiting(s, now, true);
    if (!sameAddr(st.target, this.route)) {
      this.closeSoon(s);
      return;
    }
    // A flushing session starts forwarding when its hand-over is done.
    if (st.kind === 'open') st.fwd.freeze(false);
  }
}
