// The running sentinel: owns the core, the outbound links, the tick timer, config flushing, scripts and event
// fan-out, and implements SentinelHost for the inbound server. It executes the core's effects and feeds
// observations back; it makes no sentinel decisions of its own.
import { randomBytes, randomInt } from 'node:crypto';
import type { MasterConfig, PersistedState, SentinelGlobals } from '../config/types.js';
import { sentinelCommand } from '../core/commands.js';
import { SentinelCore } from '../core/sentinel.js';
import type { Clock, Effect, LinkKind, LogLevel, ReplyTag, Rng, Timings } from '../core/types.js';
import { HELLO_CHANNEL, levelRank } from '../core/types.js';
import { Link } from '../link/link.js';
import type { Out } from '../resp/types.js';
import type { ClientContext, SentinelEvent, SentinelHost } from '../server/host.js';
import type { Logger } from './logger.js';
import { ScriptRunner } from './scripts.js';

export interface RuntimeOptions {
  globals: SentinelGlobals;
  masters: MasterConfig[];
  /** Our listening port (announced in hellos). */
  port: number;
  requirepass?: string;
  bindSourceAddr?: string;
  /** TLS options for every outbound link (`tls-replication yes`); read per connection, so a reload applies. */
  tlsClient?: () => import('node:tls').ConnectionOptions;
  logger: Logger;
  /** Persist the state (atomic config rewrite). Throws on failure; the sentinel keeps running. */
  persist: (state: PersistedState) => void | Promise<void>;
  /** Called for SENTINEL SIMULATE-FAILURE crashes and SHUTDOWN. Default: process.exit. */
  exit?: (code: number) => void;
  isExecutable?: (path: string) => boolean;
  timings?: Partial<Timings>;
  clock?: Clock;
  rng?: Rng;
}

const systemClock: Clock = { now: () => Date.now() };
const cryptoRng: Rng = { int: (n) => (n <= 1 ? 0 : randomInt(n)) };

export function generateRunId(): string {
  return randomBytes(20).toString('hex');
}

export class SentinelRuntime implements SentinelHost {
  readonly runId = generateRunId();
  readonly core: SentinelCore;
  readonly scripts: ScriptRunner;
  private readonly links = new Map<number, Link<ReplyTag>>();
  private readonly listeners = new Set<(e: SentinelEvent) => void>();
  private tickTimer: NodeJS.Timeout | null = null;
  private running = false;
  private flushChain: Promise<void> = Promise.resolve();
  private flushQueued: Promise<void> | null = null;
  private readonly logger: Logger;
  private readonly exit: (code: number) => void;
  /** Whether myid had to be generated (flushed at start like Redis). */
  readonly generatedMyid: boolean;

  constructor(private readonly opts: RuntimeOptions) {
    this.logger = opts.logger;
    this.exit = opts.exit ?? ((code) => process.exit(code));
    const myid = opts.globals.myid ?? generateRunId();
    this.generatedMyid = opts.globals.myid === undefined;
    const coreOpts: ConstructorParameters<typeof SentinelCore>[2] = {
      clock: opts.clock ?? systemClock,
      rng: opts.rng ?? cryptoRng,
      port: opts.port,
    };
    if (opts.timings) coreOpts.timings = opts.timings;
    if (opts.requirepass !== undefined) coreOpts.requirepass = opts.requirepass;
    if (opts.isExecutable) coreOpts.isExecutable = opts.isExecutable;
    this.core = new SentinelCore({ ...opts.globals, myid }, opts.masters, coreOpts);
    this.scripts = new ScriptRunner(this.core.timings, {
      event: (level, type, payload) => this.emitEvent(level, type, payload),
    });
  }

  /** Start the timers. Emits the start-up events (+monitor) and flushes a freshly generated myid. */
  async start(): Promise<void> {
    this.running = true;
    this.logger.log('notice', `Sentinel ID is ${this.core.myid}`);
    const initial = this.core.drain();
    if (this.generatedMyid) initial.push({ t: 'flush' });
    await this.execute(initial);
    // Start-up work (first flush, server bind) is not a timer stall nor silence of the instances: it counts
    // neither towards TILT nor towards down-after.
    this.core.started();
    this.scheduleTick();
  }

  stop(): void {
    this.running = false;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = null;
    for (const l of this.links.values()) l.close();
    this.links.clear();
    this.scripts.stop();
  }

  // ---- tick scheduling: every 52-100 ms (hz re-randomised to 10..19 like Redis), plus immediately when urgent

  private scheduleTick(): void {
    if (!this.running) return;
    const hz = 10 + this.core.rng.int(10);
    this.tickTimer = setTimeout(
      () => {
        this.tickTimer = null;
        this.runTick();
        this.scheduleTick();
      },
      Math.floor(1000 / hz),
    );
  }

  private runTick(): void {
    if (!this.running) return;
    this.run(this.core.tick());
  }

  // ---- effects

  /** Execute effects from an observation; a failed flush is already logged and must not crash the process. */
  private run(effects: Effect[]): void {
    this.execute(effects).catch(() => undefined);
  }

  private execute(effects: Effect[]): Promise<void> {
    let flush = false;
    let batch = effects;
    // When an observation lets the state machine progress (a vote came back, a promotion showed up), tick again
    // right away, before the (slow, fsynced) config write: network effects first, one coalesced flush after.
    for (let round = 0; round < 4; round++) {
      if (this.apply(batch)) flush = true;
      if (!this.core.urgent || !this.running) break;
      batch = this.core.tick();
    }
    return flush ? this.flushNow() : Promise.resolve();
  }

  /** Carry out effects; returns whether a flush was requested. */
  private apply(effects: Effect[]): boolean {
    let flush = false;
    for (const e of effects) {
      switch (e.t) {
        case 'connect':
          this.connect(e.linkId, e.kind, e.host, e.port, e.handshake);
          break;
        case 'send':
          this.links.get(e.linkId)?.send(e.cmd, e.tag);
          break;
        case 'close': {
          const l = this.links.get(e.linkId);
          if (l) {
            l.close();
            this.links.delete(e.linkId);
          }
          break;
        }
        case 'event':
          this.emitEvent(e.level, e.type, e.payload);
          if (e.notificationScript !== undefined) this.scripts.schedule([e.notificationScript, e.type, e.payload]);
          break;
        case 'log':
          this.logger.log(e.level, e.text);
          break;
        case 'flush':
          flush = true;
          break;
        case 'script':
          this.scripts.schedule(e.argv);
          break;
        case 'exit':
          this.exit(e.code);
          break;
      }
    }
    return flush;
  }

  /**
   * Write the config. Writes are serialised so they land in order, and coalesced: a flush asked for while another
   * is waiting to start joins it. The snapshot is taken when the write starts, so it holds every change made before
   * any of the callers asked (discovering 200 masters' peers asks 400 times; one write follows the one in flight).
   */
  flushNow(): Promise<void> {
    if (this.flushQueued) return this.flushQueued;
    const p = this.flushChain.then(async () => {
      this.flushQueued = null;
      const state = this.core.snapshot();
      try {
        await this.opts.persist(state);
        this.logger.log('debug', 'Sentinel new configuration saved on disk');
      } catch (e) {
        this.logger.log(
          'warning',
          `WARNING: Sentinel was not able to save the new configuration on disk!!!: ${(e as Error).message}`,
        );
        throw e;
      }
    });
    this.flushQueued = p;
    this.flushChain = p.catch(() => undefined);
    return p;
  }

  private emitEvent(level: LogLevel, type: string, payload: string): void {
    if (this.logger.enabled(level)) this.logger.log(level, `${type} ${payload}`);
    if (levelRank[level] <= levelRank.debug) return;
    const ev: SentinelEvent = { channel: type, payload };
    for (const l of this.listeners) {
      try {
        l(ev);
      } catch {
        // A broken subscriber must not break the sentinel.
      }
    }
  }

  private connect(linkId: number, kind: LinkKind, host: string, port: number, handshake: string[][]): void {
    const linkOpts: ConstructorParameters<typeof Link<ReplyTag>>[0] = {
      host,
      port,
      handshake,
      pubsub: kind === 'pubsub',
      connectTimeoutMs: Math.max(1000, this.core.timings.pingPeriodMs * 2),
    };
    if (this.opts.bindSourceAddr !== undefined) linkOpts.localAddress = this.opts.bindSourceAddr;
    if (this.opts.tlsClient) linkOpts.tls = this.opts.tlsClient();
    const link = new Link<ReplyTag>(linkOpts, {
      onUp: (localIp, remoteIp) => this.run(this.core.onLinkUp(linkId, localIp, remoteIp)),
      onDown: () => {
        this.links.delete(linkId);
        this.run(this.core.onLinkDown(linkId));
      },
      onReply: (tag, reply) => this.run(this.core.onReply(linkId, tag, reply)),
      onPush: (frame) => this.run(this.core.onPubsubFrame(linkId, frame)),
    });
    this.links.set(linkId, link);
  }

  // ---- SentinelHost

  async sentinelCommand(args: string[], _ctx: ClientContext): Promise<Out> {
    const sub = (args[0] ?? '').toLowerCase();
    const reply = sentinelCommand(this.core, args, { pendingScripts: () => this.scripts.pendingScripts() });
    const effects = this.core.drain();
    // SENTINEL FAILOVER answers at once, as Redis does (it flushes nothing in the command; the self-vote's flush
    // comes from its timer). Waiting here for the fsync of the new epoch let a slow disk hold the reply while the
    // failover itself ran to completion, so a pipelined second FAILOVER met the new master (-NOGOODSLAVE) instead
    // of -INPROG. The +OK carries no epoch or vote, so durable-before-visible is unaffected; everything else
    // (votes answered to IS-MASTER-DOWN-BY-ADDR, SET, MONITOR, FLUSHCONFIG...) still replies after its flush.
    const done = this.execute(effects);
    if (sub === 'failover') {
      done.catch(() => undefined);
      return reply;
    }
    try {
      await done;
    } catch {
      if (sub === 'flushconfig') return { t: 'error', v: 'ERR Failed to save config file. Check server logs.' };
    }
    return reply;
  }

  publish(channel: string, message: string, _ctx: ClientContext): Out {
    if (channel !== HELLO_CHANNEL)
      return { t: 'error', v: 'ERR Only HELLO messages are accepted by Sentinel instances.' };
    this.run(this.core.onClientPublish(message));
    return { t: 'int', v: 1 };
  }

  infoSentinelSection(): string {
    return this.core.infoSentinelSection({ running: this.scripts.running, queued: this.scripts.queued });
  }

  masterNames(): string[] {
    return [...this.core.masters.keys()];
  }

  onEvent(listener: (event: SentinelEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async shutdown(): Promise<void> {
    try {
      await this.flushNow();
    } catch {
      // Logged by flushNow; exit anyway like Redis.
    }
    this.stop();
    this.logger.log('warning', 'Sentinel is now ready to exit, bye bye...');
    this.exit(0);
  }
}
