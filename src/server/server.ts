// The network shell of the inbound RESP server: listeners (bind list, IPv6-only sockets like Redis), per-socket
// decoding, limits (maxclients, query buffer, output buffer, idle timeout), protected mode, and a 100 ms cron
// for instantaneous metrics and timeouts. Command semantics live in core.ts and the cmd-*.ts files.
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TlsOptions } from 'node:tls';
import os from 'node:os';
import { RespProtocolError, encode, R } from '../resp/index.js';
import type { Command } from '../resp/index.js';
import { QUEUE_HIGH_WATER, ServerCore, type ServerStats } from './core.js';
import { OUTPUT_HIGH_WATER_BYTES } from './limits.js';
import type { SentinelHost } from './host.js';
import { resolveOptions, type ResolvedOptions, type ServerIdentity, type ServerOptions } from './options.js';
import { ERR } from './replies.js';
import { ClientInput } from './input.js';
import type { Session, Transport } from './session.js';

export interface ListeningAddress {
  address: string;
  port: number;
}

export interface RunningServer {
  /** Every bound address (one per successful bind entry), all on the same port. */
  readonly ports: readonly ListeningAddress[];
  /** The TCP port (the same for every address). */
  readonly port: number;
  readonly clientCount: number;
  /** Live counters (INFO stats / metrics). */
  readonly stats: Readonly<ServerStats>;
  /** The socket-free core (ACL table, sessions, pub/sub registry), for the runtime and tests. */
  readonly core: ServerCore;
  /** The TLS port (`tls-port`), 0 without TLS. */
  readonly tlsPort: number;
  /** Swap the TLS listeners' certificates/options (SIGHUP); connections already open keep theirs. */
  reloadTls(options: TlsOptions): void;
  /** Publish an event to subscribers directly (the host's onEvent feed does this already). */
  close(): Promise<void>;
}

/** Which listeners to open: plain TCP on `port` (Redis: `port 0` = none) and/or TLS on `tls.port`. */
export interface ListenPlan {
  plain: boolean;
  tls?: { port: number; options: TlsOptions };
}

export function defaultIdentity(): ServerIdentity {
  return {
    redisVersion: '7.0.15',
    gitSha1: '00000000',
    gitDirty: '0',
    buildId: '0',
    os: `${os.type()} ${os.release()} ${os.machine()}`,
    archBits: process.arch.endsWith('64') ? 64 : 32,
    gccVersion: '0.0.0',
    processSupervised: 'no',
    executable: process.argv[1] ?? process.execPath,
    configFile: '',
  };
}

interface BindSpec {
  host: string;
  optional: boolean;
  ipv6: boolean;
}

function parseBind(entry: string): BindSpec {
  const optional = entry.startsWith('-');
  let host = optional ? entry.slice(1) : entry;
  if (host === '*') host = '0.0.0.0';
  else if (host === '::*') host = '::';
  return { host, optional, ipv6: host.includes(':') };
}

function fmtAddr(ip: string | undefined, port: number | undefined): string {
  let a = ip ?? '?';
  if (a.startsWith('::ffff:')) a = a.slice(7);
  return a.includes(':') ? `[${a}]:${port ?? 0}` : `${a}:${port ?? 0}`;
}

/**
 * Protected mode (networking.c, 7.0): with protected-mode on and no password on the default user, only loopback
 * clients are served; others get the -DENIED text and are closed. Unix sockets do not exist here.
 */
export function protectedModeDenies(
  protectedMode: boolean,
  defaultUserNopass: boolean,
  remoteIp: string | undefined,
): boolean {
  return protectedMode && defaultUserNopass && !isLoopback(remoteIp);
}

function isLoopback(ip: string | undefined): boolean {
  if (!ip) return false;
  const a = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return a === '::1' || a.startsWith('127.');
}

class SocketTransport implements Transport {
  readonly remoteAddr: string;
  readonly localAddr: string;
  constructor(readonly socket: Socket) {
    this.remoteAddr = fmtAddr(socket.remoteAddress, socket.remotePort);
    this.localAddr = fmtAddr(socket.localAddress, socket.localPort);
  }
  private corked = false;
  /**
   * Replies written in one turn of the event loop leave in one write (Redis writes a client's replies once per
   * event-loop iteration too): a peer publishing hellos for 200 masters got 200 separate writes (bench/scale).
   * `end()` flushes what is corked; `pendingBytes` counts it.
   */
  write(buf: Buffer): void {
    if (this.socket.destroyed) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(buf);
  }
  get pendingBytes(): number {
    return this.socket.writableLength;
  }
  end(): void {
    this.socket.end();
  }
  destroy(): void {
    this.socket.destroy();
  }
  pause(): void {
    this.socket.pause();
  }
  resume(): void {
    this.socket.resume();
  }
}

async function listenOne(srv: Server | TlsServer, spec: BindSpec, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const onError = (e: Error): void => {
      srv.off('listening', onListening);
      reject(e);
    };
    const onListening = (): void => {
      srv.off('error', onError);
      const a = srv.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    };
    srv.once('error', onError);
    srv.once('listening', onListening);
    // Redis sets IPV6_V6ONLY so that '*' and '::*' can share a port.
    srv.listen({ host: spec.host, port, ipv6Only: spec.ipv6, exclusive: true });
  });
}

export async function startServer(
  options: ServerOptions,
  host: SentinelHost,
  plan: ListenPlan = { plain: true },
): Promise<RunningServer> {
  const opts: ResolvedOptions = resolveOptions(options, defaultIdentity());
  const core = new ServerCore(opts, host);
  const sockets = new Map<Session, Socket>();
  const listeners: Array<Server | TlsServer> = [];
  const tlsListeners: TlsServer[] = [];
  const bound: ListeningAddress[] = [];
  let closing = false;

  core.onCloseRequest = (s, graceful) => {
    const sock = sockets.get(s);
    core.removeSession(s);
    if (!sock) return;
    if (graceful) sock.end();
    else sock.destroy();
  };
  core.onResumeAll = () => {
    for (const s of sockets.keys()) core.drain(s);
  };

  const onConnection = (sock: Socket): void => {
    // 'error' listener first: a reset peer must never become an uncaught exception.
    sock.on('error', () => {});
    if (closing) {
      sock.destroy();
      return;
    }
    core.stats.totalConnectionsReceived++;
    sock.setNoDelay(true);
    if (opts.tcpKeepAliveMs > 0) sock.setKeepAlive(true, opts.tcpKeepAliveMs);
    if (core.sessions.size >= opts.maxclients) {
      core.stats.rejectedConnections++;
      sock.end(encode(R.error(ERR.maxClients), 2));
      return;
    }
    if (protectedModeDenies(opts.protectedMode, core.acl.defaultUser.nopass, sock.remoteAddress)) {
      core.stats.rejectedConnections++;
      opts.logger('warning', `Denied connection from ${fmtAddr(sock.remoteAddress, sock.remotePort)}: protected mode`);
      sock.end(encode(R.error(ERR.denied), 2));
      return;
    }
    const transport = new SocketTransport(sock);
    const s = core.createSession(transport);
    sockets.set(s, sock);
    const input = new ClientInput(opts.protoMaxBulkLenBytes, s.authenticated === false);
    const sink = {
      run: (cmds: Command[]): void => {
        for (const c of cmds) s.queue.push(c);
        core.drain(s);
      },
      unauthenticated: (): boolean => !s.authenticated,
    };

    sock.on('data', (chunk: Buffer) => {
      if (s.closed || s.protocolError !== undefined) return;
      core.stats.totalNetInputBytes += chunk.length;
      core.stats.totalReadsProcessed++;
      try {
        input.push(chunk, sink);
      } catch (e) {
        if (!(e instanceof RespProtocolError)) throw e;
        core.stats.protocolErrors++;
        opts.logger('verbose', `Protocol error (${e.message}) from client: id=${s.id} addr=${s.addr}`);
        // Reply (after any queued commands) and close this connection only.
        s.protocolError = e.message;
        core.drain(s);
        return;
      }
      s.queryBufferBytes = input.buffered;
      if (input.buffered > core.stats.clientRecentMaxInputBuffer) {
        core.stats.clientRecentMaxInputBuffer = input.buffered;
      }
      if (input.buffered > opts.clientQueryBufferLimitBytes) {
        core.stats.clientsClosedForLimits++;
        opts.logger(
          'warning',
          `Closing client that reached max query buffer length: id=${s.id} addr=${s.addr} (qbuf ${input.buffered} bytes)`,
        );
        core.requestClose(s, false);
        return;
      }
      if (s.queue.length > QUEUE_HIGH_WATER && !s.readPaused) {
        s.readPaused = true;
        transport.pause();
      }
      core.checkOutputLimit(s);
      // A client that does not read its replies is not read from either, until its output drains.
      if (!s.closed && !s.outputPaused && transport.pendingBytes > OUTPUT_HIGH_WATER_BYTES) {
        s.outputPaused = true;
        transport.pause();
      }
    });
    sock.on('drain', () => {
      if (!s.outputPaused || s.closed) return;
      s.outputPaused = false;
      if (!s.readPaused) transport.resume();
      core.drain(s);
    });
    sock.on('close', () => {
      sockets.delete(s);
      if (!s.closed) core.removeSession(s);
    });
  };

  const specs = opts.bind.map(parseBind);
  // Listen on every bind address, plain and/or TLS (each kind shares one port across addresses).
  const listenAll = async (make: () => Server | TlsServer, firstPort: number, kind: 'tcp' | 'tls'): Promise<number> => {
    let p = firstPort;
    for (const spec of specs) {
      const srv = make();
      try {
        p = await listenOne(srv, spec, p);
        srv.on('error', (e) => opts.logger('warning', `listener error on ${spec.host}: ${e.message}`));
        listeners.push(srv);
        if (kind === 'tls') tlsListeners.push(srv as TlsServer);
        else bound.push({ address: spec.host, port: p });
      } catch (e) {
        srv.close();
        const code = (e as NodeJS.ErrnoException).code;
        if (spec.optional && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT' || code === 'EINVAL')) {
          opts.logger('verbose', `Skipping optional bind address ${spec.host}: ${code}`);
          continue;
        }
        const what = kind === 'tls' ? 'TLS' : 'TCP';
        throw new Error(`Could not create server ${what} listening socket ${spec.host}:${p}: ${(e as Error).message}`, {
          cause: e,
        });
      }
    }
    return p;
  };
  let port = opts.port;
  let tlsPort = 0;
  try {
    if (plan.plain)
      port = await listenAll(() => createServer({ noDelay: true, keepAlive: false }, onConnection), port, 'tcp');
    if (plan.tls) {
      const tlsOpts = plan.tls.options;
      tlsPort = await listenAll(
        () => {
          const srv = createTlsServer(tlsOpts, onConnection);
          // A failed handshake (no/bad client certificate, plain text on the TLS port) costs that socket only.
          srv.on('tlsClientError', (e, sock) => {
            opts.logger(
              'verbose',
              `TLS handshake failed with ${fmtAddr(sock.remoteAddress, sock.remotePort)}: ${e.message}`,
            );
            sock.destroy();
          });
          return srv;
        },
        plan.tls.port,
        'tls',
      );
    }
    if (listeners.length === 0) throw new Error('Failed listening on any bind address');
  } catch (e) {
    for (const l of listeners) l.close();
    core.dispose();
    throw e;
  }
  core.tcpPort = port;

  // Cron: every 100 ms sample instantaneous metrics; every second enforce idle timeouts and soft output limits.
  let tick = 0;
  let lastOps = 0;
  let lastIn = 0;
  let lastOut = 0;
  let lastAtMs = opts.now();
  const samples: Array<[number, number, number]> = [];
  const cron = setInterval(() => {
    const now = opts.now();
    const st = core.stats;
    const dt = Math.max(1, now - lastAtMs);
    samples.push([
      ((st.totalCommandsProcessed - lastOps) * 1000) / dt,
      ((st.totalNetInputBytes - lastIn) * 1000) / dt / 1024,
      ((st.totalNetOutputBytes - lastOut) * 1000) / dt / 1024,
    ]);
    if (samples.length > 16) samples.shift();
    lastOps = st.totalCommandsProcessed;
    lastIn = st.totalNetInputBytes;
    lastOut = st.totalNetOutputBytes;
    lastAtMs = now;
    const avg = (i: 0 | 1 | 2): number => samples.reduce((a, x) => a + x[i], 0) / samples.length;
    st.instantaneousOpsPerSec = Math.round(avg(0));
    st.instantaneousInputKbps = avg(1);
    st.instantaneousOutputKbps = avg(2);
    if (core.pause && !core.isPaused()) core.onResumeAll?.();
    if (++tick % 10 !== 0) return;
    for (const s of [...sockets.keys()]) {
      if (
        opts.idleTimeoutMs > 0 &&
        s.subscriptionCount === 0 &&
        !s.busy &&
        now - s.lastInteractionAtMs > opts.idleTimeoutMs
      ) {
        opts.logger('verbose', 'Closing idle client');
        core.requestClose(s, false);
        continue;
      }
      core.checkOutputLimit(s);
    }
  }, 100);
  cron.unref();

  return {
    ports: bound,
    port,
    get clientCount() {
      return core.sessions.size;
    },
    stats: core.stats,
    core,
    tlsPort,
    reloadTls: (o: TlsOptions) => {
      for (const l of tlsListeners) l.setSecureContext(o);
    },
    close: async () => {
      if (closing) return;
      closing = true;
      clearInterval(cron);
      core.dispose();
      const done = listeners.map((l) => new Promise<void>((r) => l.close(() => r())));
      for (const [s, sock] of sockets) {
        core.removeSession(s);
        sock.destroy();
      }
      sockets.clear();
      await Promise.all(done);
    },
  };
}
