// The chaos scenarios. Nodes are 0..2 (n1..n3 on 127.0.0.11..13); n1 is the master at the start. Each run()
// applies its faults and returns once everything is healed; the runner then checks convergence and the history.
import type { Ctx, Scenario } from './scenario.js';

/** Cut `a` from `b` for `ms`, recording which side is a minority; heals before returning. */
async function partition(ctx: Ctx, a: number[], b: number[], ms: number, oneWay = false): Promise<void> {
  const minority = a.length < b.length ? a : b;
  ctx.cluster.cut(a, b, oneWay);
  const end = ctx.minority(minority);
  ctx.note(
    `cut n${a.map((x) => x + 1).join(',n')} ${oneWay ? '->' : '|'} n${b.map((x) => x + 1).join(',n')} for ${ms} ms`,
  );
  try {
    await ctx.sleep(ms);
  } finally {
    ctx.cluster.heal();
    end();
  }
}

/** Vigil must not fence a master while its sentinel reaches a majority. */
function noFenceOn(ctx: Ctx, nodes: number[], since: number): void {
  const fences = ctx.events().filter((e) => e.type === '+vigil-fence' && nodes.includes(e.node) && e.at >= since);
  ctx.check(
    'no-spurious-fence',
    fences.length === 0,
    fences.map((e) => `n${e.node + 1} ${e.rest}`).join('; ') || 'none',
  );
}

const JEPSEN_TIMINGS = { downAfterMs: 2000, failoverTimeoutMs: 10000 };

export const SCENARIOS: Scenario[] = [
  {
    name: 'minority-partition',
    tier: 'fast',
    title: "Jepsen's case: the master and its sentinel cut from the other two for 15 s (issue 13/14 parameters)",
    expectFailover: true,
    timings: JEPSEN_TIMINGS,
    vigilAckedLostMaxPct: 10,
    // WAIT is best effort in Redis: a write one replica confirmed can be lost when another is promoted.
    redisByDesign: ['wait-confirmed-lost-0'],
    run: (ctx) => partition(ctx, [0], [1, 2], 15000),
  },
  {
    name: 'minority-partition-proxy',
    tier: 'fast',
    via: 'proxy',
    title: "Jepsen's case with the clients going through Vigil's proxy",
    expectFailover: true,
    timings: JEPSEN_TIMINGS,
    vigilAckedLostMaxPct: 10,
    run: (ctx) => partition(ctx, [0], [1, 2], 15000),
  },
  {
    name: 'majority-partition',
    tier: 'fast',
    title: 'one replica and its sentinel cut from the master side for 10 s: nothing fails over, nothing is fenced',
    expectFailover: false,
    vigilAckedLostMaxPct: 0,
    async run(ctx) {
      const since = Date.now();
      await partition(ctx, [2], [0, 1], 10000);
      if (ctx.cluster.impl === 'vigil') noFenceOn(ctx, [0, 1], since);
    },
  },
];
