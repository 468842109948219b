// A client session of the data plane and the one interface its forwarders implement. Contract: a session is in
// exactly one SessionState; only DataPlane moves it between states. Once open, a session's bytes are moved by one
// Forwarder (the JavaScript pipe, the native pump or the shared --mux upstream) and DataPlane talks to that
// forwarder only through the Forwarder interface (undici's Dispatcher is the model). No socket I/O here.
import type { Socket } from 'node:net';
import type { Addr } from './events.js';

/**
 * Where a session is:
 * - `held`: accepted (or leaving the shared --mux upstream), its client not read; waits for an open gate and a
 *   route, or for a re-dial after a failed connect.
 * - `dialing`: connecting its own upstream at `target` in JavaScript; the client is still not read.
 * - `connecting`: the native pump is connecting the upstream at `target` itself (pump session `id`, with a
 *   duplicate of the client's descriptor); the client's JS socket is kept, not read, until the pump reports the
 *   connection (then the session is open) or a failure (then it is held again). `frozen` tracks the gate, so the
 *   pump starts with client reads off when it is closed. `cancelling`: the route moved, the dial was cancelled
 *   and the pump's answer is awaited (failed: held again, re-dialled; connected meanwhile: fenced, as an open
 *   session of the old master). `endMsg`: set when the plane closed it gently while connecting (what the client
 *   gets if the pump gives the client back).
 * - `flushing`: the upstream is connected, but replies of the shared --mux upstream are still in the client
 *   socket's JS buffer; it is handed to the pump (or piped in JS) once they are flushed.
 * - `open`: forwarded by `fwd` to `target`; `frozen` while the gate is closed (no client byte goes anywhere).
 * - `closed`: gone; its sockets are closed or closing (or owned by the pump until it reports the end).
 */
export type SessionState =
  | { readonly kind: 'held' }
  | { readonly kind: 'dialing'; readonly target: Addr; readonly upstream: Socket }
  | {
      readonly kind: 'connecting';
      readonly target: Addr;
      readonly id: number;
      frozen: boolean;
      cancelling: boolean;
      endMsg: string | null | undefined;
    }
  | { readonly kind: 'flushing'; readonly target: Addr; readonly upstream: Socket; frozen: boolean }
  | { readonly kind: 'open'; readonly target: Addr; readonly fwd: Forwarder; frozen: boolean }
  | { readonly kind: 'closed' };

/** Moves an open session's bytes. Every method is called at most while the session is open with this forwarder. */
export interface Forwarder {
  readonly kind: 'js' | 'pump' | 'mux';
  /** Stop (true) or resume (false) forwarding the client's bytes; bytes on their way to the client still arrive. */
  freeze(on: boolean): void;
  /** Close gently: drop the upstream side, give the client what it is owed plus `msg`, then FIN. */
  fence(msg: string | null): void;
  /** Close both sides at once. */
  abort(): void;
  /**
   * True when the session may move to another master now (repoint.ts): every request it sent was answered, none
   * could have changed connection state, nothing is partly read and nothing is waiting to be written upstream.
   */
  canRepoint(): boolean;
  /**
   * Let go of the upstream without closing the client, after canRepoint() said true: the client is no longer
   * read and no byte goes to the old upstream again. The plane then gives the session another forwarder (or,
   * for --mux, the shared upstream of the new route).
   */
  detach(): void;
}

/** What forwarders may ask of the data plane. */
export interface ForwarderHost {
  readonly gateOpen: boolean;
  /** Byte counters of the forwarding done in JavaScript. */
  countFromClient(n: number): void;
  countToClient(n: number): void;
  /** Close the session gently (the client is owed nothing more from this forwarder). */
  closeSoon(s: Session): void;
  /** Close the session at once. */
  closeNow(s: Session): void;
  /**
   * The upstream of an idle, stateless session hung up while the gate is closed: the session waits for the route
   * (held) instead of being closed. Only while canRepoint() would have said true but for the hang-up.
   */
  upstreamGone(s: Session, fwd: Forwarder): void;
  warnEvery(key: string, msg: string, fields: { [k: string]: unknown }): void;
}

export class Session {
  state: SessionState = { kind: 'held' };
  /** May still go onto the shared --mux upstream (false once pinned to a connection of its own). */
  muxable: boolean;
  /**
   * Client bytes already read in JavaScript and not forwarded anywhere: the first request a --mux client could
   * not multiplex, and what followed it. They go first on the session's own connection, once the gate is open.
   */
  carry: Buffer | null = null;
  /** The client was read in JavaScript (a JsPipe or the shared --mux upstream): the pump may not dial for it. */
  readInJs = false;
  /** When this session started waiting (held or frozen), ms since epoch; 0 = not waiting. */
  waitingSince = 0;
  waitTimer: NodeJS.Timeout | null = null;
  constructor(
    readonly client: Socket,
    muxable: boolean,
  ) {
    this.muxable = muxable;
  }

  get frozen(): boolean {
    const st = this.state;
    return (st.kind === 'open' || st.kind === 'flushing') && st.frozen;
  }
}

/** Drop an upstream socket without reading another byte from it. */
export function dropUpstream(up: Socket): void {
  up.removeAllListeners('data');
  up.on('error', () => undefined);
  up.destroy();
}

/** Stop reading the client, send what it is owed (plus `msg`) and FIN; closed for good after 1 s. */
export function endClient(client: Socket, msg: string | null): void {
  client.removeAllListeners('data');
  client.on('error', () => undefined);
  if (msg === null) client.end();
  else client.end(msg);
  setTimeout(() => client.destroy(), 1000).unref();
}
