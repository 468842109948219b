// Record and replay (core/trace.ts): every sentinel runtime of a seeded simulation records its core's inputs; each
// recording, replayed through a fresh core, must give the recorded effects step for step. A recording that is
// tampered with (a reply, a clock reading, a random draw) must be reported as a divergence, and nothing in a
// hostile trace file may throw out of replayTrace. Also: the Reply <-> JSON codec round-trips every reply shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { replayTrace, replyFromJson, replyToJson } from '../../src/core/trace.js';
import { RespErrorReply, RespPush, RespVerbatim, type Reply } from '../../src/resp/types.js';
import { runSimulation } from './world.js';

type Traces = Map<string, string[]>;

/** The recording of the first runtime (generation) of a sentinel. */
function firstOf(traces: Traces, prefix: string): string[] {
  const key = [...traces.keys()].find((k) => k.startsWith(prefix));
  assert.ok(key !== undefined, `a recording for ${prefix}`);
  return traces.get(key)!;
}

function recordSeed(seed: number): { traces: Traces; failovers: number } {
  const traces: Traces = new Map();
  const r = runSimulation({
    seed,
    trace: (idx, gen, line) => {
      const key = `S${idx}.${gen}`;
      let t = traces.get(key);
      if (!t) traces.set(key, (t = []));
      t.push(line);
    },
  });
  assert.deepEqual(r.violations, [], `seed ${seed} keeps its invariants while recording`);
  return { traces, failovers: r.failovers };
}

void test('trace - every runtime of 12 simulated seeds replays to the recorded effects, step for step', () => {
  let steps = 0;
  let runtimes = 0;
  let failovers = 0;
  let switches = 0;
  for (let seed = 1; seed <= 12; seed++) {
    const rec = recordSeed(seed);
    failovers += rec.failovers;
    for (const [key, lines] of rec.traces) {
      const r = replayTrace(lines);
      assert.equal(r.divergence, null, `seed ${seed} ${key}: ${JSON.stringify(r.divergence)}`);
      assert.equal(r.steps, lines.length - 1, `seed ${seed} ${key}: every step replayed`);
      steps += r.steps;
      runtimes++;
      switches += lines.filter((l) => l.includes('"+switch-master"')).length;
    }
  }
  // The recordings must hold real work (failovers, restarts after crashes), or replaying them proves little.
  assert.ok(runtimes > 36, `restarted runtimes recorded too: ${runtimes}`);
  assert.ok(failovers > 3 && switches > 3, `failovers ${failovers}, +switch-master steps ${switches}`);
  assert.ok(steps > 10_000, `steps ${steps}`);
});

/** The first step line of `lines` whose observation matches, as a parsed object. */
function findStep(lines: string[], pred: (doc: Record<string, unknown>) => boolean): number {
  for (let i = 1; i < lines.length; i++) {
    if (pred(JSON.parse(lines[i]!) as Record<string, unknown>)) return i;
  }
  throw new Error('no such step');
}

void test('trace - a tampered reply, clock reading or random draw is reported as a divergence at its step', () => {
  const { traces } = recordSeed(3);
  const lines = firstOf(traces, 'S0.');
  assert.equal(replayTrace(lines).divergence, null);

  // An INFO reply that says something else: the core acts differently, or at the latest the effects differ.
  const infoAt = findStep(lines, (d) => {
    const o = d.obs as { t: string; tag?: string; reply?: unknown };
    return o.t === 'reply' && o.tag === 'info' && typeof o.reply === 'string' && o.reply.includes('role:master');
  });
  const doc = JSON.parse(lines[infoAt]!) as { obs: { reply: string } };
  doc.obs.reply = doc.obs.reply.replace('role:master', 'role:slave\r\nmaster_host:127.0.0.9\r\nmaster_port:1');
  const badInfo = [...lines];
  badInfo[infoAt] = JSON.stringify(doc);
  const d1 = replayTrace(badInfo).divergence;
  assert.ok(d1 !== null, 'a changed INFO reply diverges');
  assert.ok(d1.line >= infoAt + 1, `not before the changed line (${d1.line} vs ${infoAt + 1})`);

  // A clock reading removed from a tick.
  const tickAt = findStep(lines, (d) => (d.obs as { t: string }).t === 'tick' && (d.clock as number[]).length > 0);
  const t = JSON.parse(lines[tickAt]!) as { clock: number[] };
  t.clock.pop();
  const badClock = [...lines];
  badClock[tickAt] = JSON.stringify(t);
  const d2 = replayTrace(badClock).divergence;
  assert.ok(d2 !== null && d2.line === tickAt + 1, `clock: ${JSON.stringify(d2)}`);
  assert.match(d2.reason, /clock was read more often/);

  // A random draw with another range.
  const rngAt = findStep(lines, (d) => (d.rng as unknown[]).length > 0);
  const r = JSON.parse(lines[rngAt]!) as { rng: Array<[number, number]> };
  r.rng[0]![0] += 1;
  const badRng = [...lines];
  badRng[rngAt] = JSON.stringify(r);
  const d3 = replayTrace(badRng).divergence;
  assert.ok(d3 !== null && d3.line === rngAt + 1, `rng: ${JSON.stringify(d3)}`);

  // Effects recorded that the core would not produce.
  const e = JSON.parse(lines[tickAt]!) as { effects: unknown[] };
  e.effects.push({ t: 'log', level: 'notice', text: 'not from the core' });
  const badEffects = [...lines];
  badEffects[tickAt] = JSON.stringify(e);
  const d4 = replayTrace(badEffects).divergence;
  assert.ok(d4 !== null && d4.line === tickAt + 1 && /effects differ/.test(d4.reason), JSON.stringify(d4));
});

void test('trace - hostile trace files give a divergence naming the line, never an exception', () => {
  const { traces } = recordSeed(5);
  const lines = firstOf(traces, 'S1.');
  assert.deepEqual(replayTrace([]).divergence?.reason, 'no trace header');
  assert.match(replayTrace(['{']).divergence!.reason, /unreadable line/);
  assert.match(replayTrace(['{"v":99}']).divergence!.reason, /not a version 1 trace header/);
  assert.match(
    replayTrace([lines[0]!, '{"obs":{"t":"nope"},"clock":[],"rng":[],"exec":[]}']).divergence!.reason,
    /observation/,
  );
  const header = lines[0]!;
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.constantFrom(...lines.slice(1, 40)),
          fc
            .record({
              obs: fc.oneof(
                fc.record({
                  t: fc.constantFrom('reply', 'pubsub'),
                  linkId: fc.integer(),
                  tag: fc.string(),
                  reply: fc.json(),
                }),
                fc.record({ t: fc.constant('command'), args: fc.array(fc.string()) }),
                fc.record({ t: fc.constant('client-publish'), payload: fc.string() }),
              ),
              clock: fc.array(fc.integer()),
              rng: fc.array(fc.tuple(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 29 }))),
              exec: fc.array(fc.boolean()),
              effects: fc.constant([]),
            })
            .map((o) => JSON.stringify(o)),
        ),
        { maxLength: 12 },
      ),
      (rest) => {
        const r = replayTrace([header, ...rest]);
        assert.ok(r.steps <= rest.length);
      },
    ),
    { numRuns: 300 },
  );
});

const replyArb: fc.Arbitrary<Reply> = fc.letrec<{ r: Reply }>((tie) => ({
  r: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string(),
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.bigInt(),
    fc.uint8Array().map((a) => Buffer.from(a)),
    fc.string().map((s) => new RespErrorReply(s)),
    fc.tuple(fc.string(), fc.string()).map(([f, t]) => new RespVerbatim(f, t)),
    fc.array(tie('r'), { maxLength: 4 }).map((a) => new RespPush(a)),
    fc.array(tie('r'), { maxLength: 4 }),
    fc.array(fc.tuple(tie('r'), tie('r')), { maxLength: 3 }).map((kv) => new Map(kv)),
    fc.array(tie('r'), { maxLength: 3 }).map((a) => new Set(a)),
  ),
})).r;

void test('trace - the Reply codec round-trips every reply shape through JSON text', () => {
  fc.assert(
    fc.property(replyArb, (r) => {
      const back = replyFromJson(JSON.parse(JSON.stringify(replyToJson(r))));
      assert.deepEqual(back, r);
    }),
    { numRuns: 500 },
  );
});
