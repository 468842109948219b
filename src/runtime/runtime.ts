// The running sentinel: owns the core, the outbound links, the tick timer, config flushing, scripts and event
// fan-out, and implements SentinelHost for the inbound server. It executes the core's effects and feeds
// observations back; it makes no sentinel decisions of its own.
//
// The Ready contract (durable before visible, as etcd-raft's Ready/Advance): every observation returns a batch
// of effects from the core. A batch is *dirty* when it asks for a flush or when it changed the durable state
// (current-epoch, or a master's config-epoch, leader/leader-epoch or address; compared here, so a core path that
// forgets to ask still cannot leak). A dirty batch requests a flush (the state is snapshotted at that moment) and
// from then until that flush has resolved, every effect that can reveal or act on that state is *held*: sends
// other than PING and INFO (vote requests carrying the new epoch, vote replies, hellos announcing the new
// config, SLAVEOF NO ONE and the reconfiguration commands), events (published to clients: +switch-master...),
// scripts and exits; a close waits behind what is held so it cannot overtake a held send on its link. Held
// effects are released in order when the flush they wait for (or a later one) resolves. If it fails they are
// dropped, never sent, with a warning naming how many (the core's own timeouts retry: a lost vote request is
// re-asked, a failover that could not persist its epoch times out). Independent effects (connects, PING, INFO,
// logs) go at once, so monitoring never waits for the disk. SENTINEL replies wait for every flush requested up to
// the command (IS-MASTER-DOWN-BY-ADDR's vote, MONITOR, SET...): a reply that exposes a vote whose flush failed
// is an error, which a candidate counts as no vote. SENTINEL FAILOVER's +OK carries no epoch and replies at once.
//
// Everything the runtime touches outside the core is injected (transport, timers, persister, clock, rng), and
// the flush machinery is callback-based rather than promise-based, so the deterministic simulation
// (test/sim/world.ts) drives this very class on a synchronous scheduler, with an asynchronous, crashable disk.
import { randomBytes, randomInt } from 'node:crypto';
import type { MasterConfig, PersistedState, SentinelGlobals } from '../config/types.js';
import type { CommandContext } from '../core/commands.js';
import { SentinelCore } from '../core/sentinel.js';
import { step, type StepResult } from '../core/step.js';
import { TraceRecorder, type TraceInit } from '../core/trace.js';
import type { Clock, Effect, LinkKind, LogLevel, Observation, ReplyTag, Rng, Timings } from '../core/types.js';
import { HELLO_CHANNEL, levelRank } from '../core/types.js';
import { Link } from '../link/link.js';
import type { LinkHandlers, LinkOptions } from '../link/link.js';
import type { Out } from '../resp/types.js';
import type { ClientContext, SentinelEvent, SentinelHost } from '../server/host.js';
import type { Logger } from './logger.js';
import { ScriptRunner } from './scripts.js';

/** What the runtime needs of an outbound connection (src/link/link.ts in production, a fake in the simulation). */
export interface LinkLike {
  send(cmd: string[], tag: ReplyTag): void;
  /** Close without reporting onDown. */
  close(): void;
}
export type Transport = (opts: LinkOptions, handlers: LinkHandlers<ReplyTag>) => LinkLike;

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** Persist the state; call `done` once, with an error if it is not durable. */
export type Persister = (state: PersistedState, done: (err?: Error) => void) => void;

/** Test hooks: `produced` sees each batch as the core returns it, `released` each effect as it is carried out. */
export interface EffectObserver {
  produced?(effects: Effect[]): void;
  released?(effect: Effect): void;
}

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
  /**
   * The log level, for `SENTINEL CONFIG GET/SET loglevel`: read it, and `set` it on the logger and wherever the
   * config rewrite reads it. Absent: `loglevel` is not offered through SENTINEL CONFIG.
   */
  logLevel?: { get(): LogLevel; set(level: LogLevel): void };
  /** Persist the state (atomic config rewrite). Throws on failure; the sentinel keeps running. */
  persist?: (state: PersistedState) => void | Promise<void>;
  /** Callback form of `persist` (takes precedence). */
  persister?: Persister;
  /** Called for SENTINEL SIMULATE-FAILURE crashes and SHUTDOWN. Default: process.exit. */
  exit?: (code: number) => void;
  isExecutable?: (path: string) => boolean;
  timings?: Partial<Timings>;
  clock?: Clock;
  rng?: Rng;
  /** Default: TCP/TLS links (src/link/link.ts). */
  transport?: Transport;
  /** Default: setTimeout/clearTimeout. */
  timers?: Timers;
  /** The tick period, ms (default: 52-100 ms, hz re-randomised to 10..19 like Redis). */
  tickPeriodMs?: () => number;
  observer?: EffectObserver;
  /**
   * Record the core's inputs: each JSON line (a header, then one per observation) goes to this sink, for
   * `replayTrace` (core/trace.ts). Off by default; `VIGIL_TRACE_FILE` turns it on in the sentinel process.
   */
  trace?: (line: string) => void;
}

const systemClock: Clock = { now: () => Date.now() };
const cryptoRng: Rng = { int: (n) => (n <= 1 ? 0 : randomInt(n)) };
const systemTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

export function generateRunId(): string {
  return randomBytes(20).toString('hex');
}

/** Effects that reveal or act on durable state wait for its flush; PING, INFO, connects and logs never do. */
function needsBarrier(e: Effect): boolean {
  switch (e.t) {
    case 'send':
      return e.tag !== 'ping' && e.tag !== 'info';
    case 'event':
    case 'script':
    case 'exit':
      return true;
    default:
      return false;
  }
}

/** Whether a batch asks for a flush (a loop: this runs for every batch, most of them empty). */
function hasFlush(batch: Effect[]): boolean {
  for (let i = 0; i < batch.length; i++) if (batch[i]!.t === 'flush') return true;
  return false;
}

interface DurableFields {
  inst: object;
  configEpoch: number;
  leaderEpoch: number;
  leader: string | null;
  host: string;
  port: number;
}

type Waiter = { seq: number; cb: (err?: Error) => void };

export class SentinelRuntime implements SentinelHost {
  readonly runId = generateRunId();
  readonly core: SentinelCore;
  readonly scripts: ScriptRunner;
  private readonly links = new Map<number, LinkLike>();
  private readonly listeners = new Set<(e: SentinelEvent) => void>();
  private tickTimer: unknown = null;
  private running = false;
  private readonly logger: Logger;
  private readonly exit: (code: number) => void;
  private readonly timers: Timers;
  private readonly persister: Persister;
  private readonly transport: Transport;
  private readonly observer: EffectObserver | undefined;
  private readonly recorder: TraceRecorder | null;
  private initialEffects: Effect[];
  // Flushes: `requested` is the sequence number of the latest flush asked for, `resolved` of the latest one
  // finished (either way). One write is in flight at a time; requests during it coalesce into the next one.
  private requested = 0;
  private resolved = 0;
  private inFlight = false;
  private nextState: { seq: number; state: PersistedState } | null = null;
  // The durable fields as last seen (see durableChanged); `durableDirty` forces the next batch to count as
  // changed (after a failed write).
  private durableEpoch = -1;
  private readonly durableMasters = new Map<string, DurableFields>();
  private durableDirty = false;
  /** Effects waiting for flush `seq` (in production order). */
  private held: Array<{ seq: number; e: Effect }> = [];
  private waiters: Waiter[] = [];
  /** Counts for the observability endpoint (src/http): links that closed or failed, malformed hellos. */
  readonly stats = { linkDisconnects: { cmd: 0, pubsub: 0 } };
  /** Whether myid had to be generated (flushed at start like Redis). */
  readonly generatedMyid: boolean;

  constructor(private readonly opts: RuntimeOptions) {
    this.logger = opts.logger;
    this.exit = opts.exit ?? ((code) => process.exit(code));
    this.timers = opts.timers ?? systemTimers;
    this.observer = opts.observer;
    this.transport = opts.transport ?? ((o, h) => new Link<ReplyTag>(o, h));
    const persist = opts.persist;
    this.persister =
      opts.persister ??
      ((state, done) => {
        if (!persist) return done();
        Promise.resolve()
          .then(() => persist(state))
          .then(
            () => done(),
            (e: unknown) => done(e instanceof Error ? e : new Error(String(e))),
          );
      });
    const myid = opts.globals.myid ?? generateRunId();
    this.generatedMyid = opts.globals.myid === undefined;
    const rec = opts.trace ? new TraceRecorder(opts.trace) : null;
    this.recorder = rec;
    const clock = opts.clock ?? systemClock;
    const rng = opts.rng ?? cryptoRng;
    const coreOpts: ConstructorParameters<typeof SentinelCore>[2] = {
      clock: rec ? rec.clock(clock) : clock,
      rng: rec ? rec.rng(rng) : rng,
      port: opts.port,
    };
    if (opts.timings) coreOpts.timings = opts.timings;
    if (opts.requirepass !== undefined) coreOpts.requirepass = opts.requirepass;
    if (opts.isExecutable) coreOpts.isExecutable = opts.isExecutable;
    if (rec) coreOpts.isExecutable = rec.isExecutable(opts.isExecutable ?? (() => true));
    const globals = { ...opts.globals, myid };
    this.core = new SentinelCore(globals, opts.masters, coreOpts);
    // What the constructor queued (the +monitor events) goes out at start; taken now, so a trace can record it.
    this.initialEffects = this.core.drain();
    if (rec) {
      const init: TraceInit = { globals, masters: opts.masters, port: opts.port };
      if (opts.requirepass !== undefined) init.requirepass = opts.requirepass;
      if (opts.timings) init.timings = opts.timings;
      rec.header(init, this.initialEffects);
    }
    this.durableChanged();
    this.scripts = new ScriptRunner(this.core.timings, {
      event: (level, type, payload) => this.emitEvent(level, type, payload),
    });
  }

  /** Start the timers. Emits the start-up events (+monitor) and flushes a freshly generated myid. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => this.startThen((err) => (err ? reject(err) : resolve())));
  }

  /** `start` with a callback (the simulation's synchronous scheduler has no microtask turns). */
  startThen(done: (err?: Error) => void): void {
    this.running = true;
    this.logger.log('notice', `Sentinel ID is ${this.core.myid}`);
    const initial = [...this.initialEffects, ...this.core.drain()];
    this.initialEffects = [];
    if (this.generatedMyid) initial.push({ t: 'flush' });
    this.execute(initial);
    this.afterFlushes((err) => {
      if (err) return done(err);
      if (!this.running) return;
      // Start-up work (first flush, server bind) is not a timer stall nor silence of the instances: it counts
      // neither towards TILT nor towards down-after.
      this.observe({ t: 'started' });
      this.scheduleTick();
      done();
    });
  }

  stop(): void {
    this.running = false;
    if (this.tickTimer !== null) this.timers.clear(this.tickTimer);
    this.tickTimer = null;
    for (const l of this.links.values()) l.close();
    this.links.clear();
    this.scripts.stop();
    this.held = [];
    this.waiters = [];
  }

  // ---- tick scheduling: every 52-100 ms (hz re-randomised to 10..19 like Redis), plus immediately when urgent

  private scheduleTick(): void {
    if (!this.running) return;
    let ms = this.opts.tickPeriodMs ? this.opts.tickPeriodMs() : Math.floor(1000 / (10 + this.core.rng.int(10)));
    // Sooner when a candidacy delay or a split-vote retry ends before the next tick (they are short).
    const wake = this.core.wakeInMs();
    if (wake !== null && wake < ms) ms = wake;
    this.tickTimer = this.timers.set(() => {
      this.tickTimer = null;
      this.runTick();
      this.scheduleTick();
    }, ms);
  }

  private runTick(): void {
    if (!this.running) return;
    this.execute(this.observe({ t: 'tick' }).effects);
  }

  /** Every input that changes the core goes through here (core/step.ts), recorded when tracing. */
  private observe(obs: Observation, ctx?: CommandContext): StepResult {
    const rec = this.recorder;
    return rec ? rec.record(obs, () => step(this.core, obs, ctx)) : step(this.core, obs, ctx);
  }

  // ---- effects

  /** Carry out a batch; when the observation lets the state machine progress, tick again at once (4 rounds). */
  /**
   * `always`: check the durable state even for an empty batch (a SENTINEL command, whose reply is visible). An
   * empty batch from a link shows nothing, so its check can wait for the next batch that does: most replies (PONG,
   * PUBLISH counts) produce no effect, and the check is linear in the number of masters.
   */
  private execute(effects: Effect[], always = false): void {
    let batch = effects;
    for (let round = 0; round < 4; round++) {
      this.observer?.produced?.(batch);
      // A dirty batch requests its flush before any of its effects are carried out: they wait for it.
      if (((batch.length > 0 || always) && this.durableChanged()) || hasFlush(batch)) {
        this.requestFlush();
      }
      for (const e of batch) this.dispatch(e);
      if (!this.core.urgent || !this.running) break;
      batch = this.observe({ t: 'tick' }).effects;
    }
  }

  /**
   * Whether the state that must be on disk before anything depending on it is visible (current epoch; per master
   * its config and leader epochs, the leader voted for, the address clients are told) changed since the last call.
   * Runs on every batch, so it compares fields in place and allocates nothing per master: building a string of
   * all masters per batch cost a third of the CPU at 200 masters (bench/scale).
   */
  private durableChanged(): boolean {
    let changed = this.durableDirty;
    this.durableDirty = false;
    const core = this.core;
    if (core.currentEpoch !== this.durableEpoch) {
      this.durableEpoch = core.currentEpoch;
      changed = true;
    }
    let seen = 0;
    for (const m of core.masters.values()) {
      seen++;
      const a = core.currentMasterAddr(m);
      const d = this.durableMasters.get(m.name);
      if (d === undefined) {
        this.durableMasters.set(m.name, {
          inst: m,
          configEpoch: m.configEpoch,
          leaderEpoch: m.leaderEpoch,
          leader: m.leader,
          host: a.host,
          port: a.port,
        });
        changed = true;
      } else if (
        d.inst !== m ||
        d.configEpoch !== m.configEpoch ||
        d.leaderEpoch !== m.leaderEpoch ||
        d.leader !== m.leader ||
        d.host !== a.host ||
        d.port !== a.port
      ) {
        d.inst = m;
        d.configEpoch = m.configEpoch;
        d.leaderEpoch = m.leaderEpoch;
        d.leader = m.leader;
        d.host = a.host;
        d.port = a.port;
        changed = true;
      }
    }
    if (seen !== this.durableMasters.size) {
      for (const name of [...this.durableMasters.keys()]) if (!core.masters.has(name)) this.durableMasters.delete(name);
      changed = true;
    }
    return changed;
  }

  private dispatch(e: Effect): void {
    if (e.t === 'flush') return;
    const pending = this.requested > this.resolved;
    if (pending && (needsBarrier(e) || (e.t === 'close' && this.held.length > 0))) {
      this.held.push({ seq: this.requested, e });
      return;
    }
    this.apply(e);
  }

  private apply(e: Effect): void {
    if (!this.running && e.t !== 'log') return;
    this.observer?.released?.(e);
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
        break;
      case 'script':
        this.scripts.schedule(e.argv);
        break;
      case 'exit':
        this.exit(e.code);
        break;
    }
  }

  // ---- flushing

  private requestFlush(): number {
    const seq = ++this.requested;
    const state = this.core.snapshot();
    if (this.inFlight) this.nextState = { seq, state };
    else this.write(seq, state);
    return seq;
  }

  private write(seq: number, state: PersistedState): void {
    this.inFlight = true;
    let called = false;
    this.persister(state, (err) => {
      if (called) return;
      called = true;
      this.inFlight = false;
      this.flushResolved(seq, err);
      const next = this.nextState;
      this.nextState = null;
      if (next && this.running) this.write(next.seq, next.state);
      else if (next) this.flushResolved(next.seq, new Error('sentinel stopped'));
    });
  }

  private flushResolved(seq: number, err: Error | undefined): void {
    if (seq <= this.resolved) return;
    this.resolved = seq;
    if (err) {
      this.logger.log(
        'warning',
        `WARNING: Sentinel was not able to save the new configuration on disk!!!: ${err.message}`,
      );
      // What is in memory is not on disk: the next batch is dirty whatever it changes, so anything depending on
      // that state waits for a write that succeeds (a vote repeated later, a SLAVEOF after the election).
      this.durableDirty = true;
    } else {
      this.logger.log('debug', 'Sentinel new configuration saved on disk');
    }
    const due = this.held.filter((h) => h.seq <= seq);
    if (due.length > 0) {
      this.held = this.held.filter((h) => h.seq > seq);
      if (err) {
        // Not durable, so not visible: the core's timeouts recover (the vote is asked again, the failover aborts).
        // Closes still happen (they reveal nothing, and a link the core has forgotten must not stay open).
        const dropped = due.filter((h) => h.e.t !== 'close');
        for (const h of due) if (h.e.t === 'close') this.apply(h.e);
        if (dropped.length > 0)
          this.logger.log('warning', `${dropped.length} effects dropped: they depend on state that is not on disk`);
      } else {
        for (const h of due) this.apply(h.e);
      }
    }
    const ready = this.waiters.filter((w) => w.seq <= seq);
    if (ready.length > 0) {
      this.waiters = this.waiters.filter((w) => w.seq > seq);
      for (const w of ready) w.cb(err);
    }
  }

  /** Call `cb` once every flush requested so far has resolved (at once when none is pending). */
  private afterFlushes(cb: (err?: Error) => void): void {
    if (this.requested <= this.resolved) return cb();
    this.waiters.push({ seq: this.requested, cb });
  }

  /** Write the config now; resolves once it is on disk, rejects if it could not be written. */
  flushNow(): Promise<void> {
    this.requestFlush();
    return new Promise((resolve, reject) => this.afterFlushes((err) => (err ? reject(err) : resolve())));
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
    const linkOpts: LinkOptions = {
      host,
      port,
      handshake,
      pubsub: kind === 'pubsub',
      connectTimeoutMs: Math.max(1000, this.core.timings.pingPeriodMs * 2),
    };
    if (this.opts.bindSourceAddr !== undefined) linkOpts.localAddress = this.opts.bindSourceAddr;
    if (this.opts.tlsClient) linkOpts.tls = this.opts.tlsClient();
    const link = this.transport(linkOpts, {
      onUp: (localIp, remoteIp) => {
        if (this.running) this.execute(this.observe({ t: 'link-up', linkId, localIp, remoteIp }).effects);
      },
      onDown: (reason, why) => {
        this.stats.linkDisconnects[kind]++;
        if (why === 'protocol') this.logger.log('warning', `Closed the link to ${host}:${port}: ${reason}`);
        this.links.delete(linkId);
        if (this.running) this.execute(this.observe({ t: 'link-down', linkId }).effects);
      },
      onReply: (tag, reply) => {
        if (this.running) this.execute(this.observe({ t: 'reply', linkId, tag, reply }).effects);
      },
      onPush: (frame) => {
        if (this.running) this.execute(this.observe({ t: 'pubsub', linkId, frame }).effects);
      },
      // The link carries on (so does Redis Sentinel); the core sees what follows (-NOAUTH to PING: sdown).
      onHandshakeError: (cmdName, errorText) => {
        this.logger.log('warning', `${host}:${port} refused ${cmdName} on the ${kind} link: ${errorText}`);
      },
    });
    this.links.set(linkId, link);
  }

  // ---- SentinelHost

  sentinelCommand(args: string[], ctx: ClientContext): Promise<Out> {
    return new Promise((resolve) => this.sentinelCommandThen(args, ctx, resolve));
  }

  /** `sentinelCommand` with a callback: `reply` is called once the reply may be sent. */
  sentinelCommandThen(args: string[], _ctx: ClientContext, reply: (out: Out) => void): void {
    const sub = (args[0] ?? '').toLowerCase();
    const res = this.observe(
      { t: 'command', args },
      {
        pendingScripts: () => this.scripts.pendingScripts(),
        ...(this.opts.logLevel ? { logLevel: this.opts.logLevel } : {}),
      },
    );
    const out = res.reply as Out;
    this.execute(res.effects, true);
    // SENTINEL FAILOVER answers at once, as Redis does (it flushes nothing in the command; the self-vote's flush
    // comes from its timer). Waiting here for the fsync of the new epoch let a slow disk hold the reply while the
    // failover itself ran to completion, so a pipelined second FAILOVER met the new master (-NOGOODSLAVE) instead
    // of -INPROG. The +OK carries no epoch or vote, so durable-before-visible is unaffected.
    if (sub === 'failover') return reply(out);
    // Everything else replies after every flush requested so far: a vote (IS-MASTER-DOWN-BY-ADDR), or state
    // another flush is still writing (a vote cast a moment ago, repeated to a second candidate).
    this.afterFlushes((err) => {
      if (!err) return reply(out);
      if (sub === 'flushconfig') return reply({ t: 'error', v: 'ERR Failed to save config file. Check server logs.' });
      if (sub === 'is-master-down-by-addr')
        return reply({ t: 'error', v: 'ERR Failed to save the vote on disk. Check server logs.' });
      reply(out);
    });
  }

  publish(channel: string, message: string, _ctx: ClientContext): Out {
    if (channel !== HELLO_CHANNEL)
      return { t: 'error', v: 'ERR Only HELLO messages are accepted by Sentinel instances.' };
    if (this.running) this.execute(this.observe({ t: 'client-publish', payload: message }).effects);
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
      // Logged by the flush; exit anyway like Redis.
    }
    this.stop();
    this.logger.log('warning', 'Sentinel is now ready to exit, bye bye...');
    this.exit(0);
  }
}
