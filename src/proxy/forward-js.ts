// Forwarding of one open session in JavaScript (no native pump, or a hand-over it refused): 'data' → write() both
// ways with pause/resume back-pressure. Contract: bytes are passed on in order and unchanged; while frozen no
// client byte is read; the session's carried bytes go upstream first, and only with the gate open. A session that
// started here with nothing carried is followed by a RequestTracker (repoint.ts) until it sends anything not
// known to be stateless; while it is idle it can be detached and re-pointed at a new master.
import type { Socket } from 'node:net';
import { type Forwarder, type ForwarderHost, type Session, dropUpstream, endClient } from './session.js';
import { RequestTracker } from './repoint.js';

export class JsPipe implements Forwarder {
  readonly kind = 'js';
  /** Client reads paused because the upstream is not draining. */
  private bpPaused = false;
  private frozen = false;
  private detached = false;
  /** The client half-closed, or the upstream did. */
  private ended = false;
  private upEnded = false;
  /** Follows the request/reply streams while the session may still be re-pointed (null: it may not). */
  private tracker: RequestTracker | null;
  private readonly onClientData: (chunk: Buffer) => void;
  private readonly onClientDrain: () => void;
  private readonly onClientEnd: () => void;

  constructor(
    private readonly s: Session,
    readonly up: Socket,
    private readonly host: ForwarderHost,
  ) {
    const client = s.client;
    // Carried bytes (a --mux client pinned here) were not followed from the start: such a session stays put.
    this.tracker = s.carry === null ? new RequestTracker() : null;
    this.onClientData = (chunk: Buffer): void => {
      host.countFromClient(chunk.length);
      const t = this.tracker;
      if (t) {
        t.request(chunk);
        if (t.sticky) this.tracker = null;
      }
      if (!up.write(chunk)) {
        this.bpPaused = true;
        client.pause();
      }
    };
    this.onClientDrain = (): void => {
      up.resume();
    };
    this.onClientEnd = (): void => {
      this.ended = true;
      up.end();
    };
    client.on('data', this.onClientData);
    client.on('drain', this.onClientDrain);
    client.on('end', this.onClientEnd);
    up.on('drain', () => {
      this.bpPaused = false;
      if (!this.frozen && !this.detached) client.resume();
    });
    up.on('data', (chunk: Buffer) => {
      host.countToClient(chunk.length);
      const t = this.tracker;
      if (t) {
        t.reply(chunk);
        if (t.sticky) this.tracker = null;
      }
      if (!client.write(chunk)) up.pause();
    });
    up.on('end', () => {
      this.upEnded = true;
      if (this.detached) return;
      // Mid-failover the old master drops its clients as it is demoted (Sentinel's CLIENT KILL): an idle,
      // stateless session loses nothing by that and waits for the new route instead of being closed.
      if (!host.gateOpen && this.idleNow()) host.upstreamGone(s, this);
      else client.end();
    });
    up.on('close', () => {
      if (!this.detached) host.closeSoon(s);
    });
    up.on('error', () => {
      if (!this.detached) host.closeNow(s);
    });
  }

  /** Start reading (the session is open and the gate is open). */
  start(): void {
    this.sendCarry();
    this.s.client.resume();
  }

  freeze(on: boolean): void {
    this.frozen = on;
    if (on) {
      this.s.client.pause();
      return;
    }
    this.sendCarry();
    if (!this.bpPaused) this.s.client.resume();
  }

  fence(msg: string | null): void {
    this.detachUpstream();
    endClient(this.s.client, msg);
  }

  abort(): void {
    this.detachUpstream();
    this.s.client.destroy();
  }

  canRepoint(): boolean {
    return !this.detached && !this.upEnded && this.idleNow() && this.up.writableLength === 0;
  }

  /** Every request answered, none stateful, nothing half read either way, the client has not half-closed. */
  private idleNow(): boolean {
    return (
      !this.ended && this.tracker !== null && this.tracker.idle && this.s.carry === null && this.up.readableLength === 0
    );
  }

  /** Stop reading the client and drop the upstream; the client socket stays open for the next forwarder. */
  detach(): void {
    const client = this.s.client;
    client.pause();
    client.off('data', this.onClientData);
    client.off('drain', this.onClientDrain);
    client.off('end', this.onClientEnd);
    this.detachUpstream();
  }

  private sendCarry(): void {
    if (this.s.carry && this.host.gateOpen) {
      this.up.write(this.s.carry);
      this.s.carry = null;
    }
  }

  private detachUpstream(): void {
    if (this.detached) return;
    this.detached = true;
    dropUpstream(this.up);
  }
}
