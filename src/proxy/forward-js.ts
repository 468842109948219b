// Forwarding of one open session in JavaScript (no native pump, or a hand-over it refused): 'data' → write() both
// ways with pause/resume back-pressure. Contract: bytes are passed on in order and unchanged; while frozen no
// client byte is read; the session's carried bytes go upstream first, and only with the gate open.
import type { Socket } from 'node:net';
import { type Forwarder, type ForwarderHost, type Session, dropUpstream, endClient } from './session.js';

export class JsPipe implements Forwarder {
  readonly kind = 'js';
  /** Client reads paused because the upstream is not draining. */
  private bpPaused = false;
  private frozen = false;
  private detached = false;

  constructor(
    private readonly s: Session,
    readonly up: Socket,
    private readonly host: ForwarderHost,
  ) {
    const client = s.client;
    client.on('data', (chunk: Buffer) => {
      host.countFromClient(chunk.length);
      if (!up.write(chunk)) {
        this.bpPaused = true;
        client.pause();
      }
    });
    up.on('drain', () => {
      this.bpPaused = false;
      if (!this.frozen && !this.detached) client.resume();
    });
    up.on('data', (chunk: Buffer) => {
      host.countToClient(chunk.length);
      if (!client.write(chunk)) up.pause();
    });
    client.on('drain', () => up.resume());
    client.on('end', () => up.end());
    up.on('end', () => client.end());
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
    this.detach();
    endClient(this.s.client, msg);
  }

  abort(): void {
    this.detach();
    this.s.client.destroy();
  }

  private sendCarry(): void {
    if (this.s.carry && this.host.gateOpen) {
      this.up.write(this.s.carry);
      this.s.carry = null;
    }
  }

  private detach(): void {
    if (this.detached) return;
    this.detached = true;
    dropUpstream(this.up);
  }
}
