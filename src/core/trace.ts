// Record and replay of the core (issue 19: "any trace can be recorded and replayed").
//
// Contract. A TraceRecorder wraps the core's injected clock, random source and isExecutable, and the runtime
// passes every observation through `record`. It writes JSON lines to its sink:
//   line 1  the header: format version, the core's constructor inputs (globals with myid, masters, port,
//           requirepass, timings), the readings the constructor took and the effects it queued;
//   then    one line per step: the observation, every clock reading, random draw and isExecutable answer taken
//           while the core handled it, and the effects it returned.
// Readings taken outside a step (the runtime's own tick jitter) are not the core's and are not recorded.
// `replayTrace(lines)` builds a fresh core from the header, feeds it the same observations with the recorded
// readings, and compares each step's effects with the recorded ones. The core is deterministic, so a trace of a
// real process replays exactly; the first difference (effects, or a reading asked for that the recording does
// not have) is reported as a divergence, with the step number. Replies to SENTINEL commands are not compared:
// some (PENDING-SCRIPTS, CONFIG GET loglevel) depend on state the runtime owns.
//
// Reply values (which may hold Buffers, bigints, errors, RESP3 maps) are tagged objects in the JSON; everything
// else in an observation or an effect is plain JSON. Replay input is parsed defensively: a malformed line is a
// divergence naming the line, never an exception out of replayTrace.
import type { MasterConfig, SentinelGlobals } from '../config/types.js';
import { RespErrorReply, RespPush, RespVerbatim, type Reply } from '../resp/types.js';
import { SentinelCore, type CoreOptions } from './sentinel.js';
import { step, type StepResult } from './step.js';
import type { Clock, Effect, Observation, Rng, Timings } from './types.js';

export const TRACE_VERSION = 1;

/** The core's constructor inputs, minus the injected functions (those are recorded as readings). */
export interface TraceInit {
  globals: SentinelGlobals & { myid: string };
  masters: MasterConfig[];
  port: number;
  requirepass?: string;
  timings?: Partial<Timings>;
}

interface Readings {
  clock: number[];
  rng: Array<[number, number]>;
  exec: boolean[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

// ---- Reply <-> JSON ---------------------------------------------------------------------------------------

export function replyToJson(r: Reply): Json {
  if (r === null || typeof r === 'string' || typeof r === 'boolean') return r;
  if (typeof r === 'number') {
    if (Object.is(r, -0)) return { d: '-0' }; // JSON would make it 0 (a RESP3 double can be -0)
    return Number.isFinite(r) ? r : { d: String(r) };
  }
  if (typeof r === 'bigint') return { i: r.toString() };
  if (Buffer.isBuffer(r)) return { b: r.toString('base64') };
  if (Array.isArray(r)) return r.map(replyToJson);
  if (r instanceof RespErrorReply) return { e: r.message };
  if (r instanceof RespVerbatim) return { vf: r.format, v: r.text };
  if (r instanceof RespPush) return { p: r.items.map(replyToJson) };
  if (r instanceof Map) return { m: [...r].map(([k, v]) => [replyToJson(k), replyToJson(v)]) };
  return { s: [...r].map(replyToJson) };
}

export function replyFromJson(j: unknown): Reply {
  if (j === null || typeof j === 'string' || typeof j === 'boolean' || typeof j === 'number') return j;
  if (Array.isArray(j)) return j.map(replyFromJson);
  if (typeof j !== 'object') throw new Error(`not a reply: ${typeof j}`);
  const o = j as Record<string, unknown>;
  if (typeof o.d === 'string') return Number(o.d);
  if (typeof o.i === 'string') return BigInt(o.i);
  if (typeof o.b === 'string') return Buffer.from(o.b, 'base64');
  if (typeof o.e === 'string') return new RespErrorReply(o.e);
  if (typeof o.vf === 'string' && typeof o.v === 'string') return new RespVerbatim(o.vf, o.v);
  if (Array.isArray(o.p)) return new RespPush(o.p.map(replyFromJson));
  if (Array.isArray(o.m)) {
    const m = new Map<Reply, Reply>();
    for (const kv of o.m as unknown[]) {
      if (!Array.isArray(kv) || kv.length !== 2) throw new Error('bad map entry');
      m.set(replyFromJson(kv[0]), replyFromJson(kv[1]));
    }
    return m;
  }
  if (Array.isArray(o.s)) return new Set(o.s.map(replyFromJson));
  throw new Error('not a reply: unknown tag');
}

function obsToJson(o: Observation): Json {
  if (o.t === 'reply') return { ...o, reply: replyToJson(o.reply) };
  if (o.t === 'pubsub') return { ...o, frame: replyToJson(o.frame) };
  return o as unknown as Json;
}

const OBS_KINDS = new Set(['started', 'tick', 'link-up', 'link-down', 'reply', 'pubsub', 'client-publish', 'command']);

function obsFromJson(j: unknown): Observation {
  if (typeof j !== 'object' || j === null || !OBS_KINDS.has((j as { t?: unknown }).t as string)) {
    throw new Error('not an observation');
  }
  const o = j as Record<string, unknown>;
  if (o.t === 'reply') return { ...(o as unknown as Observation & { t: 'reply' }), reply: replyFromJson(o.reply) };
  if (o.t === 'pubsub') return { ...(o as unknown as Observation & { t: 'pubsub' }), frame: replyFromJson(o.frame) };
  return o as unknown as Observation;
}

// ---- recording ---------------------------------------------------------------------------------------------

export class TraceRecorder {
  private current: Readings | null = { clock: [], rng: [], exec: [] };
  private headerWritten = false;

  /** `sink` receives one JSON document per call, without a newline. */
  constructor(private readonly sink: (line: string) => void) {}

  clock(inner: Clock): Clock {
    return {
      now: () => {
        const v = inner.now();
        this.current?.clock.push(v);
        return v;
      },
    };
  }

  rng(inner: Rng): Rng {
    return {
      int: (n) => {
        const v = inner.int(n);
        this.current?.rng.push([n, v]);
        return v;
      },
    };
  }

  isExecutable(inner: (path: string) => boolean): (path: string) => boolean {
    return (path) => {
      const v = inner(path);
      this.current?.exec.push(v);
      return v;
    };
  }

  /**
   * Call once, right after the core is constructed: writes its inputs, the readings its constructor took and the
   * effects it queued (which the runtime drained).
   */
  header(init: TraceInit, effects: Effect[]): void {
    if (this.headerWritten) throw new Error('trace header written twice');
    this.headerWritten = true;
    const r = this.current ?? { clock: [], rng: [], exec: [] };
    this.current = null;
    this.sink(JSON.stringify({ v: TRACE_VERSION, init, ...r, effects }));
  }

  /** Run one step through `run` and record it. */
  record(obs: Observation, run: () => StepResult): StepResult {
    const r: Readings = { clock: [], rng: [], exec: [] };
    this.current = r;
    let res: StepResult;
    try {
      res = run();
    } finally {
      this.current = null;
    }
    this.sink(JSON.stringify({ obs: obsToJson(obs), ...r, effects: res.effects }));
    return res;
  }
}

// ---- replay ------------------------------------------------------------------------------------------------

export interface ReplayResult {
  /** Steps replayed without a difference. */
  steps: number;
  /** The first difference, or null when the whole trace replayed identically. */
  divergence: { step: number; line: number; reason: string } | null;
}

class Divergence extends Error {}

/** Feeds recorded readings back, in order; asking for one the recording lacks (or of another kind) diverges. */
class Playback {
  private r: Readings = { clock: [], rng: [], exec: [] };
  load(r: Readings): void {
    this.r = { clock: [...r.clock], rng: [...r.rng], exec: [...r.exec] };
  }
  leftover(): string | null {
    const { clock, rng, exec } = this.r;
    if (clock.length + rng.length + exec.length === 0) return null;
    return `the recording has ${clock.length} clock, ${rng.length} random and ${exec.length} isExecutable readings left over`;
  }
  readonly clock: Clock = {
    now: () => {
      const v = this.r.clock.shift();
      if (v === undefined) throw new Divergence('the clock was read more often than recorded');
      return v;
    },
  };
  readonly rng: Rng = {
    int: (n) => {
      const d = this.r.rng.shift();
      if (d === undefined) throw new Divergence('a random draw that the recording does not have');
      if (d[0] !== n) throw new Divergence(`a random draw in 0..${n - 1}, recorded in 0..${d[0] - 1}`);
      return d[1];
    },
  };
  readonly isExecutable = (): boolean => {
    const v = this.r.exec.shift();
    if (v === undefined) throw new Divergence('an isExecutable check that the recording does not have');
    return v;
  };
}

function readings(o: Record<string, unknown>): Readings {
  const nums = (a: unknown): a is number[] => Array.isArray(a) && a.every((x) => typeof x === 'number');
  const { clock, rng, exec } = o;
  if (!nums(clock)) throw new Error('bad clock readings');
  if (!Array.isArray(rng) || !rng.every((d) => nums(d) && d.length === 2)) throw new Error('bad random draws');
  if (!Array.isArray(exec) || !exec.every((x) => typeof x === 'boolean')) throw new Error('bad isExecutable answers');
  return { clock, rng: rng as Array<[number, number]>, exec };
}

const canonical = (effects: Effect[] | unknown): string => JSON.stringify(effects);

export function replayTrace(lines: Iterable<string>): ReplayResult {
  const play = new Playback();
  let core: SentinelCore | null = null;
  let steps = 0;
  let lineNo = 0;
  for (const text of lines) {
    lineNo++;
    if (text.trim() === '') continue;
    let doc: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
      doc = parsed as Record<string, unknown>;
    } catch (e) {
      return {
        steps,
        divergence: { step: steps + 1, line: lineNo, reason: `unreadable line: ${(e as Error).message}` },
      };
    }
    try {
      if (core === null) {
        if (doc.v !== TRACE_VERSION) throw new Error(`not a version ${TRACE_VERSION} trace header`);
        const init = doc.init as TraceInit;
        play.load(readings(doc));
        const opts: CoreOptions = {
          clock: play.clock,
          rng: play.rng,
          port: init.port,
          isExecutable: play.isExecutable,
        };
        if (init.requirepass !== undefined) opts.requirepass = init.requirepass;
        if (init.timings !== undefined) opts.timings = init.timings;
        core = new SentinelCore(init.globals, init.masters, opts);
        const left = play.leftover();
        if (left) throw new Divergence(`construction: ${left}`);
        const want = canonical(doc.effects);
        const got = canonical(core.drain());
        if (want !== got) throw new Divergence(`construction effects differ:\n  recorded ${want}\n  replayed ${got}`);
        continue;
      }
      const obs = obsFromJson(doc.obs);
      play.load(readings(doc));
      const res = step(core, obs);
      const left = play.leftover();
      if (left) throw new Divergence(left);
      const want = canonical(doc.effects);
      const got = canonical(res.effects);
      if (want !== got) throw new Divergence(`effects differ:\n  recorded ${want}\n  replayed ${got}`);
      steps++;
    } catch (e) {
      const reason = e instanceof Divergence ? e.message : `bad trace line: ${(e as Error).message}`;
      return { steps, divergence: { step: steps + 1, line: lineNo, reason } };
    }
  }
  if (core === null) return { steps, divergence: { step: 0, line: lineNo, reason: 'no trace header' } };
  return { steps, divergence: null };
}
