#!/usr/bin/env node
// Runs the test suite with node:test. Node 20 needs test files passed explicitly (a directory or a
// quoted glob runs nothing), so this lists them. Usage: node scripts/run-tests.mjs [layer ...]
// Layers: unit sim integration differential compat hostile chaos (default: all). Extra args after `--` go to
// node --test; test files given there without a layer run alone (`node scripts/run-tests.mjs -- test/unit/x.test.ts`).
// `--all` (with the chaos layer: `npm run chaos -- --all`) adds the chaos suite's slow tier (VIGIL_CHAOS_ALL=1).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const before = (dash === -1 ? argv : argv.slice(0, dash)).filter(Boolean);
const extra = dash === -1 ? [] : argv.slice(dash + 1);
if (before.includes('--all')) process.env.VIGIL_CHAOS_ALL = '1';
const layers = before.filter((a) => a !== '--all');
const all = ['unit', 'sim', 'integration', 'differential', 'compat', 'hostile', 'chaos'];
const explicitFiles = extra.some((a) => a.endsWith('.test.ts'));
const chosen = layers.length ? layers : explicitFiles ? [] : all;

function walk(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries.sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(walk(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const files = chosen.flatMap((l) => walk(join('test', l)));
if (files.length === 0 && !explicitFiles) {
  console.error(`no test files found for: ${chosen.join(', ')}`);
  process.exit(1);
}
// Integration tests start real processes; run files one at a time on this 2-core machine.
const concurrency = process.env.VIGIL_TEST_CONCURRENCY ?? '1';
// A safety net, not a pace: a file whose test or cleanup hangs fails after this long instead of stalling CI
// (node applies it to each file as a whole as well as to each test).
// The chaos suite's slow tier and repeated runs take longer than that per file.
const longChaos = process.env.VIGIL_CHAOS_ALL === '1' || Number(process.env.VIGIL_CHAOS_REPEAT ?? '1') > 1;
const timeoutMs = process.env.VIGIL_TEST_TIMEOUT_MS ?? (longChaos ? '3600000' : '600000');
const res = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    `--test-timeout=${timeoutMs}`,
    '--test-reporter=spec',
    ...extra,
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(res.status ?? 1);
