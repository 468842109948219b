// One client connection's state: protocol version, auth, name, subscriptions, reply mode, the pipeline queue.
// Socket-free: bytes go out through a Transport, so unit tests drive sessions without the network.
import { encode, R } from '../resp/index.js';
import type { Command, Out, Proto } from '../resp/index.js';

export interface Transport {
  write(buf: Buffer): void;
  /** Bytes handed to write() that the kernel has not taken yet. */
  readonly pendingBytes: number;
  /** Close after flushing what was written. */
  end(): void;
  /** Close now, dropping pending output. */
  destroy(): void;
  pause(): void;
  resume(): void;
  /** `ip:port` of the peer and of our side, as CLIENT LIST prints them. */
  readonly remoteAddr: string;
  readonly localAddr: string;
}

export type ReplyMode = 'on' | 'off' | 'skip';

export interface TrackingState {
  enabled: boolean;
  redirect: number; // 0 = none
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  caching: 'yes' | 'no' | undefined;
  prefixes: string[];
}

/** CLIENT TRACKING off: a new connection's state, and what CLIENT TRACKING OFF resets to. */
export function trackingOff(): TrackingState {
  return {
    enabled: false,
    redirect: 0,
    bcast: false,
    optin: false,
    optout: false,
    noloop: false,
    caching: undefined,
    prefixes: [],
  };
}

export class Session {
  proto: Proto = 2;
  /** Name set by CLIENT SETNAME / HELLO SETNAME ('' = none). */
  name = '';
  userName = 'default';
  authenticated: boolean;
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  replyMode: ReplyMode = 'on';
  /** CLIENT REPLY SKIP was the previous command: drop the reply of the current one. */
  skipCurrent = false;
  noEvict = false;
  tracking: TrackingState = trackingOff();
  /** Full name of the last command run (CLIENT LIST `cmd=`), 'NULL' before the first. */
  lastCmd = 'NULL';
  lastInteractionAtMs: number;
  readonly createdAtMs: number;
  /** Commands decoded but not yet run (pipelining; async host replies keep order). */
  readonly queue: Command[] = [];
  /** A command is running asynchronously; the rest of the queue waits. */
  busy = false;
  /** Reading from the socket is paused because the queue is long (see QUEUE_HIGH_WATER). */
  readPaused = false;
  /** Reading is paused because the client does not read its replies (see OUTPUT_HIGH_WATER_BYTES). */
  outputPaused = false;
  /** Close once the current reply is written (QUIT, CLIENT KILL of self, protocol error). */
  closeAfterReply = false;
  closed = false;
  /** A protocol error ended the input: reply with it (after queued commands) and close. */
  protocolError: string | undefined;
  /** Since when pending output has been above the soft limit (ms), or 0. */
  softLimitSinceMs = 0;
  /** Bytes of the command being executed (CLIENT LIST argv-mem). */
  argvBytes = 0;
  /** Query buffer bytes held by the decoder (updated by the server). */
  queryBufferBytes = 0;
  /** Set by the server when a reply or push was written (stats hook). */
  onWrite: ((bytes: number, isError: boolean) => void) | undefined;

  constructor(
    readonly id: number,
    readonly transport: Transport,
    nowMs: number,
    authRequired: boolean,
  ) {
    this.createdAtMs = nowMs;
    this.lastInteractionAtMs = nowMs;
    this.authenticated = !authRequired;
  }

  get subscriptionCount(): number {
    return this.channels.size + this.patterns.size;
  }

  /** RESP2 subscribed mode restricts the command set; RESP3 does not. */
  get inRestrictedPubSub(): boolean {
    return this.proto === 2 && this.subscriptionCount > 0;
  }

  get addr(): string {
    return this.transport.remoteAddr;
  }

  /** Write a command reply, honouring CLIENT REPLY OFF/SKIP. */
  reply(out: Out): void {
    if (this.replyMode !== 'on' || this.skipCurrent) return;
    this.writeFrame(out);
  }

  /** Out-of-band frame (pub/sub message, subscribe confirmation): `>` in RESP3, an array in RESP2. */
  push(items: Out[]): void {
    if (this.replyMode !== 'on' || this.skipCurrent) return;
    this.writeFrame(R.push(items));
  }

  /** Pre-encoded bytes (pub/sub fan-out encodes a message once per protocol). */
  writeEncoded(buf: Buffer): void {
    if (this.closed || this.replyMode !== 'on') return;
    this.transport.write(buf);
    this.onWrite?.(buf.length, false);
  }

  private writeFrame(out: Out): void {
    if (this.closed) return;
    const buf = encode(out, this.proto);
    this.transport.write(buf);
    this.onWrite?.(buf.length, isErrorFrame(out));
  }
}

function isErrorFrame(out: Out): boolean {
  return out.t === 'error' || (out.t === 'raw' && out.v[0] === 0x2d);
}
