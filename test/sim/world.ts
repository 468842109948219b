// Deterministic simulation of a sentinel group: N SentinelCores and M simulated redis-servers on one manual
// clock, with a seeded scheduler that injects message latency and loss, network partitions, server crashes and
// sentinel crashes (restarted from their last persisted state). Checks the safety invariants as it goes and
// convergence at the end. Everything is driven by the seed: a failure is reproducible with `--seeds` / `--seed`.
import type { MasterConfig, PersistedState } from '../../src/config/types.js';
import { sentinelCommand } from '../../src/core/commands.js';
import { SentinelCore } from '../../src/core/sentinel.js';
import type { Effect, ReplyTag } from '../../src/core/types.js';
import type { Reply } from '../../src/resp/types.js';
import { RespErrorReply } from '../../src/resp/types.js';

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed * 2654435761) >>> 0 || 1;
  }
  next(): number {
    // xorshift32
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.s = x;
    return x / 0x100000000;
  }
  int(n: number): number {
    return n <= 1 ? 0 : Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

type Task = { at: number; seq: number; fn: () => void };

class Scheduler {
  private heap: Task[] = [];
  private seq = 0;
  now = 0;
  at(at: number, fn: () => void): void {
    const t = { at: Math.max(at, this.now), seq: this.seq++, fn };
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[i]!, h[p]!)) {
        [h[i], h[p]] = [h[p]!, h[i]!];
        i = p;
      } else break;
    }
  }
  runUntil(t: number): void {
    const h = this.heap;
    while (h.length > 0 && h[0]!.at <= t) {
      const top = h[0]!;
      const last = h.pop()!;
      if (h.length > 0) {
        h[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < h.length && less(h[l]!, h[m]!)) m = l;
          if (r < h.length && less(h[r]!, h[m]!)) m = r;
          if (m === i) break;
          [h[i], h[m]] = [h[m]!, h[i]!];
          i = m;
        }
      }
      this.now = top.at;
      top.fn();
    }
    this.now = t;
  }
}
const less = (a: Task, b: Task): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

interface Node {
  port: number;
  alive: boolean;
  role: 'master' | 'slave';
  masterPort: number;
  offset: number;
  runId: string;
  part: number;
}

type Target = { kind: 'node'; port: number } | { kind: 'sentinel'; idx: number };

interface SimLink {
  id: number;
  owner: number;
  target: Target;
  linkKind: 'cmd' | 'pubsub';
  open: boolean;
  up: boolean;
  /** incarnation of the owner sentinel that opened it */
  gen: number;
}

interface Sentinel {
  idx: number;
  port: number;
  runId: string;
  core: SentinelCore | null;
  gen: number;
  persisted: PersistedState;
  part: number;
  tickScheduled: boolean;
}

export interface SimOptions {
  seed: number;
  sentinels?: number;
  replicas?: number;
  quorum?: number;
  chaosMs?: number;
  healMs?: number;
  lossRate?: number;
  verbose?: boolean;
}

export interface SimResult {
  seed: number;
  violations: string[];
  failovers: number;
  finalMaster: string;
  events: number;
}

const HOST = '10.0.0.1';

export function runSimulation(o: SimOptions): SimResult {
  const rng = new Rng(o.seed);
  const sched = new Scheduler();
  const clock = { now: () => sched.now };
  const violations: string[] = [];
  const nSent = o.sentinels ?? 3;
  const nodes: Node[] = [];
  for (let i = 0; i <= (o.replicas ?? 2); i++) {
    nodes.push({ port: 6379 + i, alive: true, role: i === 0 ? 'master' : 'slave', masterPort: 6379, offset: 0, runId: rid(rng), part: 0 });
  }
  const nodeByPort = (p: number): Node | undefined => nodes.find((n) => n.port === p);
  /** key: `${owner}/${gen}/${linkId}` (link ids are per core) */
  const links = new Map<string, SimLink>();
  const lk = (owner: number, gen: number, id: number): string => `${owner}/${gen}/${id}`;
  const sentinels: Sentinel[] = [];
  const votes = new Map<string, string>(); // `${sentinelRunId}/${epoch}` → voted runid
  const leaders = new Map<number, string>(); // epoch → leader runid
  const maxVotedEpoch = new Map<string, number>();
  let failovers = 0;
  let eventCount = 0;

  const baseMaster: MasterConfig = {
    name: 'mymaster',
    host: HOST,
    port: 6379,
    quorum: o.quorum ?? Math.floor(nSent / 2) + 1,
    downAfterMs: 1000,
    failoverTimeoutMs: 3000,
    parallelSyncs: 1,
    masterRebootDownAfterPeriodMs: 0,
    renamedCommands: [],
    configEpoch: 0,
    leaderEpoch: 0,
    knownReplicas: [],
    knownSentinels: [],
  };

  const partOf = (t: Target): number => (t.kind === 'node' ? (nodeByPort(t.port)?.part ?? 0) : (sentinels[t.idx]?.part ?? 0));
  const targetAlive = (t: Target): boolean => (t.kind === 'node' ? (nodeByPort(t.port)?.alive ?? false) : sentinels[t.idx]?.core != null);
  const reachable = (owner: number, t: Target): boolean => (sentinels[owner]?.part ?? 0) === partOf(t);
  const lat = (): number => 1 + rng.int(5);

  function makeCore(s: Sentinel): SentinelCore {
    const st = s.persisted;
    const masters: MasterConfig[] = st.masters.map((pm) => {
      const cur = pm.promotedReplica ?? { host: pm.host, port: pm.port };
      const mc: MasterConfig = { ...pm, host: cur.host, port: cur.port };
      mc.knownReplicas = pm.knownReplicas.map((r) => (r.host === cur.host && r.port === cur.port ? { host: pm.host, port: pm.port } : r));
      delete (mc as { promotedReplica?: unknown }).promotedReplica;
      return mc;
    });
    return new SentinelCore({ ...st, myid: s.runId }, masters, {
      clock,
      rng: { int: (n) => rng.int(n) },
      port: s.port,
    });
  }

  function check(s: Sentinel, effects: Effect[]): void {
    for (const e of effects) {
      if (e.t === 'log' && o.verbose && e.level === 'warning') console.log(`${sched.now} S${s.idx} LOG ${e.text}`);
      if (e.t !== 'event') continue;
      eventCount++;
      if (o.verbose) console.log(`${sched.now} S${s.idx} ${e.type} ${e.payload}`);
      if (e.type === '+vote-for-leader') {
        const [runid = '', epochS = '0'] = e.payload.split(' ');
        const key = `${s.runId}/${epochS}`;
        const prev = votes.get(key);
        if (prev !== undefined && prev !== runid) violations.push(`S${s.idx} voted twice in epoch ${epochS}: ${prev} then ${runid}`);
        votes.set(key, runid);
        const ep = Number(epochS);
        if (ep < (maxVotedEpoch.get(s.runId) ?? 0)) violations.push(`S${s.idx} voted in epoch ${ep} after voting in a later one`);
        maxVotedEpoch.set(s.runId, Math.max(ep, maxVotedEpoch.get(s.runId) ?? 0));
      }
      if (e.type === '+elected-leader') {
        const core = s.core;
        const m = core?.masters.get('mymaster');
        if (!m) continue;
        if (m.forceFailover) continue;
        const ep = m.failoverEpoch;
        const prev = leaders.get(ep);
        if (prev !== undefined && prev !== s.runId) violations.push(`two leaders in epoch ${ep}: ${prev} and ${s.runId}`);
        leaders.set(ep, s.runId);
        failovers++;
      }
    }
  }

  function execute(s: Sentinel, effects: Effect[]): void {
    const core = s.core;
    if (!core) return;
    let batch = effects;
    let flush = false;
    for (let round = 0; round < 4; round++) {
      check(s, batch);
      for (const e of batch) {
        switch (e.t) {
          case 'connect':
            connect(s, e.linkId, e.kind, e.host, e.port);
            break;
          case 'send':
            send(s, e.linkId, e.cmd, e.tag);
            break;
          case 'close': {
            const key = lk(s.idx, s.gen, e.linkId);
            const l = links.get(key);
            if (l) l.open = false;
            links.delete(key);
            break;
          }
          case 'flush':
            flush = true;
            break;
          default:
            break;
        }
      }
      if (!core.urgent) break;
      batch = core.tick();
    }
    if (flush) {
      const before = s.persisted.currentEpoch;
      s.persisted = core.snapshot();
      if (s.persisted.currentEpoch < before) violations.push(`S${s.idx} persisted epoch went back ${before} → ${s.persisted.currentEpoch}`);
    }
  }

  function connect(s: Sentinel, linkId: number, kind: 'cmd' | 'pubsub', host: string, port: number): void {
    let target: Target | null = null;
    if (host === HOST && nodeByPort(port)) target = { kind: 'node', port };
    const si = sentinels.findIndex((x) => x.port === port);
    if (host === HOST && si !== -1) target = { kind: 'sentinel', idx: si };
    if (!target) violations.push(`S${s.idx} connects to unknown address ${host}:${port}`);
    if (!target) return;
    const l: SimLink = { id: linkId, owner: s.idx, target, linkKind: kind, open: true, up: false, gen: s.gen };
    links.set(lk(s.idx, s.gen, linkId), l);
    const t = target;
    sched.at(sched.now + lat(), () => {
      if (!l.open || s.gen !== l.gen || !s.core) return;
      if (!targetAlive(t)) {
        l.open = false;
        links.delete(lk(l.owner, l.gen, l.id));
        execute(s, s.core.onLinkDown(l.id));
      } else if (!reachable(s.idx, t)) {
        // SYN lost in the partition: the connect times out.
        sched.at(sched.now + 1000, () => {
          if (!l.open || s.gen !== l.gen || !s.core || l.up) return;
          l.open = false;
          links.delete(lk(l.owner, l.gen, l.id));
          execute(s, s.core.onLinkDown(l.id));
        });
      } else {
        l.up = true;
        execute(s, s.core.onLinkUp(l.id, HOST));
      }
    });
  }

  function nodeInfo(n: Node): string {
    const lines = [`run_id:${n.runId}`, `role:${n.role}`];
    if (n.role === 'master') {
      let i = 0;
      for (const r of nodes) {
        if (r !== n && r.alive && r.role === 'slave' && r.masterPort === n.port && r.part === n.part) {
          lines.push(`slave${i++}:ip=${HOST},port=${r.port},state=online,offset=${r.offset},lag=0`);
        }
      }
    } else {
      const m = nodeByPort(n.masterPort);
      const up = m !== undefined && m.alive && m.role === 'master' && m.part === n.part;
      lines.push(`master_host:${HOST}`, `master_port:${n.masterPort}`, `master_link_status:${up ? 'up' : 'down'}`);
      if (!up) lines.push('master_link_down_since_seconds:1');
      lines.push(`slave_repl_offset:${n.offset}`, 'slave_priority:100', 'replica_announced:1');
    }
    return lines.join('\r\n') + '\r\n';
  }

  function nodeCommand(n: Node, l: SimLink, cmd: string[]): Reply {
    const name = (cmd[0] ?? '').toUpperCase();
    switch (name) {
      case 'PING':
        return 'PONG';
      case 'INFO':
        return nodeInfo(n);
      case 'PUBLISH':
        for (const sub of links.values()) {
          if (sub.linkKind !== 'pubsub' || !sub.open || !sub.up) continue;
          if (sub.target.kind !== 'node' || sub.target.port !== n.port) continue;
          const owner = sentinels[sub.owner];
          if (!owner || !reachable(sub.owner, sub.target)) continue;
          const frame: Reply = ['message', cmd[1] ?? '', cmd[2] ?? ''];
          if (rng.chance(o.lossRate ?? 0)) continue;
          sched.at(sched.now + lat(), () => {
            if (!sub.open || !owner.core || owner.gen !== sub.gen) return;
            execute(owner, owner.core.onPubsubFrame(sub.id, frame));
          });
        }
        return 1;
      case 'SLAVEOF':
        if ((cmd[1] ?? '').toUpperCase() === 'NO') {
          n.role = 'master';
        } else {
          n.role = 'slave';
          n.masterPort = Number(cmd[2]);
        }
        return 'OK';
      default:
        void l;
        return 'OK';
    }
  }

  function send(s: Sentinel, linkId: number, cmd: string[], tag: ReplyTag): void {
    const l = links.get(lk(s.idx, s.gen, linkId));
    if (!l) return;
    if (rng.chance(o.lossRate ?? 0)) return; // lost: the reply never comes (like a stalled connection)
    sched.at(sched.now + lat(), () => {
      if (!l.open || !reachable(s.idx, l.target) || !targetAlive(l.target)) return;
      let reply: Reply;
      if (l.target.kind === 'node') {
        const n = nodeByPort(l.target.port)!;
        reply = nodeCommand(n, l, cmd);
      } else {
        const peer = sentinels[l.target.idx]!;
        const pc = peer.core!;
        const name = (cmd[0] ?? '').toUpperCase();
        if (name === 'SENTINEL') {
          const out = sentinelCommand(pc, cmd.slice(1));
          if (o.verbose) console.log(`${sched.now} S${s.idx}->S${peer.idx} ${cmd.join(' ')} => ${JSON.stringify(out)}`);
          execute(peer, pc.drain());
          reply = outToReply(out);
        } else if (name === 'PUBLISH') {
          execute(peer, pc.onClientPublish(cmd[2] ?? ''));
          reply = 1;
        } else if (name === 'PING') {
          reply = 'PONG';
        } else {
          reply = 'OK';
        }
      }
      sched.at(sched.now + lat(), () => {
        if (!l.open || !s.core || s.gen !== l.gen || !reachable(s.idx, l.target)) return;
        execute(s, s.core.onReply(l.id, tag, reply));
      });
    });
  }

  function scheduleTick(s: Sentinel): void {
    const gen = s.gen;
    sched.at(sched.now + Math.floor(1000 / (10 + rng.int(10))), () => {
      if (!s.core || s.gen !== gen) return;
      execute(s, s.core.tick());
      scheduleTick(s);
    });
  }

  function crashSentinel(s: Sentinel): void {
    if (!s.core) return;
    s.core = null;
    s.gen++;
    for (const l of [...links.values()]) {
      if (l.owner === s.idx) {
        l.open = false;
        links.delete(lk(l.owner, l.gen, l.id));
      }
      if (l.target.kind === 'sentinel' && l.target.idx === s.idx) dropLink(l);
    }
  }

  function startSentinel(s: Sentinel): void {
    s.gen++;
    s.core = makeCore(s);
    const epochBefore = s.persisted.currentEpoch;
    if (s.core.currentEpoch < epochBefore) violations.push(`S${s.idx} restarted with a lower epoch`);
    execute(s, s.core.drain());
    scheduleTick(s);
  }

  function dropLink(l: SimLink): void {
    const owner = sentinels[l.owner];
    l.open = false;
    links.delete(lk(l.owner, l.gen, l.id));
    if (owner?.core && owner.gen === l.gen) {
      const c = owner.core;
      sched.at(sched.now + lat(), () => {
        if (owner.core === c) execute(owner, c.onLinkDown(l.id));
      });
    }
  }

  function crashNode(n: Node): void {
    n.alive = false;
    for (const l of [...links.values()]) if (l.target.kind === 'node' && l.target.port === n.port) dropLink(l);
  }

  function restartNode(n: Node): void {
    n.alive = true;
    n.role = 'master'; // no persistence: a restarted server comes back as an empty master
    n.offset = 0;
    n.runId = rid(rng);
  }

  // ---- build the world
  for (let i = 0; i < nSent; i++) {
    const runId = rid(rng);
    sentinels.push({
      idx: i,
      port: 26379 + i,
      runId,
      core: null,
      gen: 0,
      persisted: {
        myid: runId,
        currentEpoch: 0,
        announcePort: 0,
        denyScriptsReconfig: true,
        resolveHostnames: false,
        announceHostnames: false,
        masters: [{ ...baseMaster }],
      },
      part: 0,
      tickScheduled: false,
    });
  }
  for (const s of sentinels) startSentinel(s);

  // Replication offsets advance while a replica is attached.
  const repl = (): void => {
    for (const n of nodes) if (n.alive && n.role === 'master') n.offset += 10;
    for (const n of nodes) {
      if (!n.alive || n.role !== 'slave') continue;
      const m = nodeByPort(n.masterPort);
      if (m && m.alive && m.role === 'master' && m.part === n.part) n.offset = m.offset;
    }
    sched.at(sched.now + 100, repl);
  };
  repl();

  // ---- chaos phase
  const chaosMs = o.chaosMs ?? 40_000;
  const healMs = o.healMs ?? 60_000;
  sched.runUntil(3000); // discovery
  let t = 3000;
  while (t < chaosMs) {
    t += 500 + rng.int(4000);
    sched.runUntil(t);
    const r = rng.next();
    if (r < 0.3) {
      const alive = nodes.filter((n) => n.alive);
      const master = alive.find((n) => n.role === 'master');
      const victim = master && rng.chance(0.7) ? master : alive[rng.int(alive.length)];
      if (victim && alive.length > 1) crashNode(victim);
    } else if (r < 0.5) {
      const dead = nodes.filter((n) => !n.alive);
      const n = dead[rng.int(dead.length)];
      if (n) restartNode(n);
    } else if (r < 0.65) {
      const s = sentinels[rng.int(sentinels.length)]!;
      if (s.core) crashSentinel(s);
      else startSentinel(s);
    } else if (r < 0.85) {
      // Partition: every process gets side 0 or 1.
      for (const s of sentinels) s.part = rng.int(2);
      for (const n of nodes) n.part = rng.int(2);
      for (const l of [...links.values()]) {
        // established connections stay "open" but traffic is dropped (a real partition does not reset TCP)
        void l;
      }
    } else {
      for (const s of sentinels) s.part = 0;
      for (const n of nodes) n.part = 0;
    }
  }

  // ---- heal: everything up and connected, then let the group converge
  for (const s of sentinels) s.part = 0;
  for (const n of nodes) n.part = 0;
  for (const n of nodes) if (!n.alive) restartNode(n);
  for (const s of sentinels) if (!s.core) startSentinel(s);
  // Stalled connections from the partition period are reset now (as TCP keepalive/forced close would).
  for (const l of [...links.values()]) dropLink(l);
  sched.runUntil(chaosMs + healMs);

  const addrs = sentinels.map((s) => {
    const m = s.core!.masters.get('mymaster')!;
    const a = s.core!.currentMasterAddr(m);
    return `${a.host}:${a.port}`;
  });
  const finalMaster = addrs[0] ?? '';
  if (new Set(addrs).size !== 1) violations.push(`sentinels disagree after healing: ${addrs.join(' ')}`);
  const masters = nodes.filter((n) => n.alive && n.role === 'master').map((n) => `${HOST}:${n.port}`);
  if (masters.length !== 1 || masters[0] !== finalMaster) {
    violations.push(`not converged: masters ${masters.join(',') || 'none'} vs sentinels ${finalMaster}`);
  }
  return { seed: o.seed, violations, failovers, finalMaster, events: eventCount };
}

function rid(rng: Rng): string {
  let s = '';
  for (let i = 0; i < 40; i++) s += '0123456789abcdef'[rng.int(16)];
  return s;
}

function outToReply(out: ReturnType<typeof sentinelCommand>): Reply {
  switch (out.t) {
    case 'int':
      return Number(out.v);
    case 'bulk':
      return String(out.v);
    case 'simple':
      return out.v;
    case 'error':
      return new RespErrorReply(out.v);
    case 'array':
      return out.v.map(outToReply);
    case 'null':
    case 'nullarray':
      return null;
    default:
      return null;
  }
}
