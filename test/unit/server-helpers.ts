// Test helpers for the inbound server: a fake SentinelHost that records calls and lets tests emit events, and
// a fake Transport that collects written bytes. Not a test file itself.
import { R } from '../../src/resp/index.js';
import type { Out } from '../../src/resp/index.js';
import type { ClientContext, SentinelEvent, SentinelHost } from '../../src/server/host.js';
import type { Transport } from '../../src/server/session.js';

export class FakeHost implements SentinelHost {
  readonly runId = 'a'.repeat(40);
  readonly calls: Array<{ args: string[]; ctx: ClientContext }> = [];
  readonly published: Array<{ channel: string; message: string }> = [];
  private readonly listeners = new Set<(e: SentinelEvent) => void>();
  shutdownCalls = 0;
  /** Optional override for SENTINEL replies (default: a few canned subcommands). */
  reply: ((args: string[], ctx: ClientContext) => Out | Promise<Out>) | undefined;
  masters = ['mymaster'];

  sentinelCommand(args: string[], ctx: ClientContext): Out | Promise<Out> {
    this.calls.push({ args, ctx });
    if (this.reply) return this.reply(args, ctx);
    const sub = (args[0] ?? '').toLowerCase();
    if (sub === 'get-master-addr-by-name') {
      return args[1] === 'mymaster' ? R.bulks(['127.0.0.1', '6379']) : R.nullarray;
    }
    if (sub === 'myid') return R.bulk('b'.repeat(40));
    if (sub === 'masters')
      return R.array([
        R.map([
          [R.bulk('name'), R.bulk('mymaster')],
          [R.bulk('port'), R.bulk('6379')],
        ]),
      ]);
    return R.error(`ERR unknown subcommand '${args[0] ?? ''}'. Try SENTINEL HELP.`);
  }

  publish(channel: string, message: string): Out {
    if (channel !== '__sentinel__:hello') return R.error('ERR Only HELLO messages are accepted by Sentinel instances.');
    this.published.push({ channel, message });
    return R.int(1);
  }

  infoSentinelSection(): string {
    return [
      'sentinel_masters:1',
      'sentinel_tilt:0',
      'sentinel_tilt_since_seconds:-1',
      'sentinel_running_scripts:0',
      'sentinel_scripts_queue_length:0',
      'sentinel_simulate_failure_flags:0',
      'master0:name=mymaster,status=ok,address=127.0.0.1:6379,slaves=0,sentinels=1',
    ].join('\r\n');
  }

  masterNames(): string[] {
    return this.masters;
  }

  onEvent(listener: (event: SentinelEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(channel: string, payload: string): void {
    for (const l of this.listeners) l({ channel, payload });
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  shutdown(): Promise<void> {
    this.shutdownCalls++;
    return Promise.resolve();
  }
}

export class FakeTransport implements Transport {
  readonly chunks: Buffer[] = [];
  ended = false;
  destroyed = false;
  pendingBytes = 0;
  constructor(
    readonly remoteAddr = '127.0.0.1:50000',
    readonly localAddr = '127.0.0.1:26379',
  ) {}
  write(buf: Buffer): void {
    this.chunks.push(buf);
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  pause(): void {}
  resume(): void {}
  /** Everything written so far as a latin1 string (one char per byte); clears the buffer. */
  take(): string {
    const s = Buffer.concat(this.chunks).toString('latin1');
    this.chunks.length = 0;
    return s;
  }
}
