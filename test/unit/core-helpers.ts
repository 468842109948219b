// Test helpers for the deterministic core: a manual clock, a seeded rng, and a tiny fake network that records
// the core's effects and lets a test answer them.
import { newMasterConfig } from '../../src/config/master.js';
import type { MasterConfig, SentinelGlobals } from '../../src/config/types.js';
import { SentinelCore } from '../../src/core/sentinel.js';
import type { Effect, ReplyTag, Timings } from '../../src/core/types.js';
import type { Reply } from '../../src/resp/types.js';

export class ManualClock {
  constructor(public t = 1_000_000) {}
  now(): number {
    return this.t;
  }
}

export function seededRng(seed = 1): { int(n: number): number } {
  let s = seed >>> 0 || 1;
  return {
    int(n: number): number {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      return n <= 1 ? 0 : s % n;
    },
  };
}

export function masterConfig(over: Partial<MasterConfig> = {}): MasterConfig {
  return {
    ...newMasterConfig('mymaster', '127.0.0.1', 6379, 2, { downAfterMs: 1000, failoverTimeoutMs: 6000 }),
    ...over,
  };
}

export const MYID = 'a'.repeat(40);

export function globals(over: Partial<SentinelGlobals> = {}): SentinelGlobals & { myid: string } {
  return {
    myid: MYID,
    currentEpoch: 0,
    announcePort: 0,
    denyScriptsReconfig: true,
    resolveHostnames: false,
    announceHostnames: false,
    ...over,
  };
}

export interface OpenLink {
  id: number;
  kind: 'cmd' | 'pubsub';
  host: string;
  port: number;
  sent: Array<{ cmd: string[]; tag: ReplyTag }>;
}

/** Records connect/send/close effects per link; everything else goes to `events`/`other`. */
export class FakeNet {
  links = new Map<number, OpenLink>();
  events: Array<{ type: string; payload: string }> = [];
  flushes = 0;
  other: Effect[] = [];

  constructor(readonly core: SentinelCore) {}

  apply(effects: Effect[]): Effect[] {
    for (const e of effects) {
      switch (e.t) {
        case 'connect':
          this.links.set(e.linkId, { id: e.linkId, kind: e.kind, host: e.host, port: e.port, sent: [] });
          break;
        case 'send':
          this.links.get(e.linkId)?.sent.push({ cmd: e.cmd, tag: e.tag });
          break;
        case 'close':
          this.links.delete(e.linkId);
          break;
        case 'event':
          this.events.push({ type: e.type, payload: e.payload });
          break;
        case 'flush':
          this.flushes++;
          break;
        default:
          this.other.push(e);
      }
    }
    return effects;
  }

  tick(): Effect[] {
    return this.apply(this.core.tick());
  }

  cmdLink(port: number, host = '127.0.0.1'): OpenLink | undefined {
    return [...this.links.values()].find((l) => l.kind === 'cmd' && l.port === port && l.host === host);
  }

  /** Bring every open link up (TCP connected). */
  upAll(): void {
    for (const l of this.links.values()) this.apply(this.core.onLinkUp(l.id, '127.0.0.1'));
  }

  /** Answer every unanswered command on a cmd link with `answer(cmd)`; returns how many were answered. */
  answer(port: number, answer: (cmd: string[], tag: ReplyTag) => Reply | undefined): number {
    const l = this.cmdLink(port);
    if (!l) return 0;
    const pending = l.sent.splice(0);
    let n = 0;
    for (const s of pending) {
      const r = answer(s.cmd, s.tag);
      if (r === undefined) continue;
      this.apply(this.core.onReply(l.id, s.tag, r));
      n++;
    }
    return n;
  }

  eventTypes(): string[] {
    return this.events.map((e) => e.type);
  }
}

export function makeCore(
  opts: {
    masters?: MasterConfig[];
    timings?: Partial<Timings>;
    clock?: ManualClock;
    globals?: Partial<SentinelGlobals>;
  } = {},
): { core: SentinelCore; net: FakeNet; clock: ManualClock } {
  const clock = opts.clock ?? new ManualClock();
  const coreOpts: ConstructorParameters<typeof SentinelCore>[2] = { clock, rng: seededRng(7), port: 26379 };
  if (opts.timings) coreOpts.timings = opts.timings;
  const core = new SentinelCore(globals(opts.globals), opts.masters ?? [masterConfig()], coreOpts);
  const net = new FakeNet(core);
  net.apply(core.drain());
  return { core, net, clock };
}

export function masterInfo(runId: string, replicas: Array<[string, number]> = []): string {
  const lines = ['# Server', `run_id:${runId}`, '# Replication', 'role:master', `connected_slaves:${replicas.length}`];
  replicas.forEach(([ip, port], i) => lines.push(`slave${i}:ip=${ip},port=${port},state=online,offset=100,lag=0`));
  return lines.join('\r\n') + '\r\n';
}

export function replicaInfo(
  runId: string,
  master: [string, number],
  over: { offset?: number; priority?: number; linkUp?: boolean; role?: string } = {},
): string {
  return (
    [
      '# Server',
      `run_id:${runId}`,
      '# Replication',
      `role:${over.role ?? 'slave'}`,
      `master_host:${master[0]}`,
      `master_port:${master[1]}`,
      `master_link_status:${over.linkUp === false ? 'down' : 'up'}`,
      `slave_repl_offset:${over.offset ?? 100}`,
      `slave_priority:${over.priority ?? 100}`,
      'replica_announced:1',
    ].join('\r\n') + '\r\n'
  );
}
