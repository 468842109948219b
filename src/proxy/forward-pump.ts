// Forwarding of one open session by the native pump (pump.ts, its own threads). Contract: handOver() gives both
// sockets to the pump only when no byte is left in either JS socket, and sends the session's carried bytes plus
// anything the client's stream already read first; afterwards the JS sockets are destroyed and the pump owns the
// session until it reports the end (onClosed, exactly once). It never parses the bytes, so a pump session is
// never re-pointed at a switch (closed as before).
import type { Socket } from 'node:net';
import type { Pump } from './pump.js';
import type { Forwarder, Session } from './session.js';

export class PumpForwarder implements Forwarder {
  readonly kind = 'pump';
  constructor(
    private readonly pump: Pump,
    readonly id: number,
  ) {}
  freeze(on: boolean): void {
    this.pump.freeze(this.id, on);
  }
  fence(msg: string | null): void {
    this.pump.fence(this.id, msg);
  }
  abort(): void {
    this.pump.abort(this.id);
  }
  /** The pump forwards bytes without parsing them, so nothing is known about the session's requests. */
  canRepoint(): boolean {
    return false;
  }
  detach(): void {
    throw new Error('a session forwarded by the native pump cannot be re-pointed');
  }
}

/**
 * Give a session's connected sockets to the pump. Runs synchronously right after the upstream connected (or the
 * client's JS buffer was flushed), so no libuv read can happen in between. `frozen`: the pump starts with client
 * reads off. Returns null (the caller pipes in JS, with the bytes read here kept in `s.carry`) when the sockets
 * cannot be handed over.
 */
export function handOver(
  pump: Pump,
  group: number,
  s: Session,
  up: Socket,
  frozen: boolean,
  idleTimeoutMs: number,
  onClosed: () => void,
): PumpForwarder | null {
  const client = s.client;
  // Bytes still in either JS socket would be lost with it (the plane waits for mux replies to be flushed first).
  if (up.readableLength > 0 || client.writableLength > 0) return null;
  // Carried bytes wait for an open gate; keep such a session in JS (rare: a mux client pinned mid-failover).
  if (s.carry && frozen) return null;
  client.removeAllListeners('data');
  const pre: Buffer[] = s.carry ? [s.carry] : [];
  for (let c = client.read() as Buffer | null; c !== null; c = client.read() as Buffer | null) pre.push(c);
  const preBytes = pre.length > 0 ? Buffer.concat(pre) : null;
  const id = pump.add(group, client, up, preBytes, frozen, onClosed, idleTimeoutMs);
  if (id === 0) {
    if (preBytes) s.carry = preBytes;
    return null;
  }
  s.carry = null;
  for (const sock of [client, up]) {
    sock.removeAllListeners();
    sock.on('error', () => undefined);
    sock.destroy();
  }
  return new PumpForwarder(pump, id);
}
