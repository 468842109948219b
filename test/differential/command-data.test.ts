// Differential: the committed command data (src/server/command-data.ts, command-docs-data.ts) is what
// scripts/gen-command-data.mjs captures from the installed redis-sentinel now. The script starts and kills its own
// redis-sentinel (by PID); spawnSync's timeout sends SIGTERM, on which the script kills it too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, missingBinaries } from '../harness/index.js';

void test(
  'differential - the committed COMMAND / COMMAND DOCS data equals a fresh capture from redis-sentinel',
  { skip: missingBinaries('redis-sentinel') },
  () => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/gen-command-data.mjs'), '--check'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 0, `gen-command-data --check failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /up to date with redis-sentinel 7\.0\.15/);
  },
);
