#!/usr/bin/env node
// Renders the chaos suite's results (VIGIL_CHAOS_RESULTS=path, a JSON array written by test/chaos/lib/outer.ts)
// as the Markdown table of docs/reliability.md. Repeated runs of one scenario x impl are summarised on one row
// (failed over k/n, median time to the new master, lost counts summed).
// Usage: node scripts/chaos-table.mjs results.json
import { readFileSync } from 'node:fs';

const path = process.argv[2];
if (!path) {
  console.error('usage: node scripts/chaos-table.mjs results.json');
  process.exit(1);
}
const results = JSON.parse(readFileSync(path, 'utf8'));
const groups = new Map();
for (const r of results) {
  const k = `${r.scenario}\u0000${r.impl}`;
  if (!groups.has(k)) groups.set(k, []);
  groups.get(k).push(r);
}
const median = (xs) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};
const pct = (lost, ok) => (ok ? `${((100 * lost) / ok).toFixed(1)} %` : '–');
const sum = (rs, f) => rs.reduce((n, r) => n + (r[f] ? 1 : 0), 0);
const rows = [
  '| scenario | impl | runs | failed over | time to new master | acked lost | WAIT-confirmed lost | checks |',
  '|---|---|---|---|---|---|---|---|',
];
for (const rs of groups.values()) {
  const r0 = rs[0];
  const times = rs.map((r) => r.timeToNewMasterMs).filter((t) => t !== null);
  const t = median(times);
  const aLost = rs.reduce((n, r) => n + (r.acked?.lost ?? 0), 0);
  const aOk = rs.reduce((n, r) => n + (r.acked?.ok ?? 0), 0);
  const wLost = rs.reduce((n, r) => n + (r.waited?.lost ?? 0), 0);
  const wOk = rs.reduce((n, r) => n + (r.waited?.ok ?? 0), 0);
  const failedChecks = [...new Set(rs.flatMap((r) => r.checks.filter((c) => !c.ok).map((c) => c.id)))];
  const byDesign = new Set(rs.flatMap((r) => r.byDesign ?? []));
  const recorded = failedChecks.filter((c) => byDesign.has(c));
  const failed = failedChecks.filter((c) => !byDesign.has(c));
  const known = rs.find((r) => r.knownIssue)?.knownIssue;
  const verdict = [
    failed.length ? `**failed: ${failed.join(', ')}**${known ? ' (known issue, TODO)' : ''}` : '',
    recorded.length ? `recorded (by design): ${recorded.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  rows.push(
    [
      r0.scenario,
      r0.impl,
      rs.length,
      `${sum(rs, 'failedOver')}/${rs.length}`,
      t === null ? '–' : `${(t / 1000).toFixed(1)} s${times.length > 1 ? ' (median)' : ''}`,
      `${aLost}/${aOk} (${pct(aLost, aOk)})`,
      `${wLost}/${wOk}`,
      verdict || 'all passed',
    ]
      .join(' | ')
      .replace(/^/, '| ') + ' |',
  );
}
console.log(rows.join('\n'));
