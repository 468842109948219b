// The command table's joins: the core's SENTINEL subcommand table (src/core/commands.ts) against the data captured
// from redis-sentinel (src/server/command-data.ts, command-docs-data.ts, by scripts/gen-command-data.mjs), and the
// captured top-level commands against the server's handlers. A subcommand declared on one side only is what used
// to reach a client as a silent "unknown subcommand"; here it fails a test that says which file to fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { SENTINEL_SUBCOMMANDS, lookupSubcommand, sentinelCommand } from '../../src/core/commands.js';
import type { Out } from '../../src/resp/types.js';
import { SENTINEL_COMMANDS } from '../../src/server/command-data.js';
import { SENTINEL_COMMAND_DOCS } from '../../src/server/command-docs-data.js';
import { lookupByFullName, resolve, type DocNode } from '../../src/server/command-table.js';
import { HANDLERS } from '../../src/server/handlers.js';
import { makeCore, masterConfig } from './core-helpers.js';

const REGEN = 'regenerate with `node scripts/gen-command-data.mjs` (docs/server.md, "Adding a SENTINEL subcommand")';

function capturedSentinelSubs(): Map<string, number> {
  const sentinel = SENTINEL_COMMANDS.find((c) => c.name === 'sentinel');
  assert.ok(sentinel?.subcommands, 'the captured COMMAND data has SENTINEL with subcommands');
  return new Map(sentinel.subcommands.map((s) => [s.name.slice('sentinel|'.length), s.arity]));
}

/** argv (after SENTINEL) of exactly the subcommand's minimum arity. */
function minimalArgs(name: string, arity: number): string[] {
  return [name, ...Array.from({ length: Math.abs(arity) - 2 }, () => 'x')];
}

void test('command table - every SENTINEL subcommand the core handles is in the captured COMMAND data, same arity', () => {
  const captured = capturedSentinelSubs();
  const missing = SENTINEL_SUBCOMMANDS.filter((s) => !captured.has(s.name)).map((s) => s.name);
  assert.deepEqual(missing, [], `handled by the core but not in src/server/command-data.ts: ${REGEN}`);
  for (const s of SENTINEL_SUBCOMMANDS) assert.equal(s.arity, captured.get(s.name), `arity of sentinel|${s.name}`);
});

void test('command table - every SENTINEL subcommand in the captured COMMAND data is handled by the core', () => {
  const core = new Set(SENTINEL_SUBCOMMANDS.map((s) => s.name));
  const missing = [...capturedSentinelSubs().keys()].filter((n) => !core.has(n));
  assert.deepEqual(missing, [], 'in the captured COMMAND data but not in SENTINEL_SUBCOMMANDS (src/core/commands.ts)');
});

void test('command table - each core subcommand goes through the server and reaches its core handler', () => {
  const { core } = makeCore({ masters: [masterConfig()] });
  for (const s of SENTINEL_SUBCOMMANDS) {
    for (const typed of [s.name, ...(s.aliases ?? [])]) {
      const args = minimalArgs(typed.toUpperCase(), s.arity);
      const r = resolve(['SENTINEL', ...args]);
      assert.equal(r.kind, 'ok', `server resolves SENTINEL ${typed}`);
      assert.equal(r.kind === 'ok' ? r.cmd.name : '', `sentinel|${s.name}`);
      const reply: Out = sentinelCommand(core, args);
      assert.ok(
        !(reply.t === 'error' && /unknown subcommand|wrong number/.test(reply.v)),
        `core runs SENTINEL ${typed}: ${JSON.stringify(reply)}`,
      );
    }
  }
  // Both sides reject the same unknown name and the same arity.
  assert.equal(resolve(['SENTINEL', 'no-such-sub']).kind, 'unknown-subcommand');
  assert.equal(lookupSubcommand('no-such-sub'), undefined);
  assert.equal(resolve(['SENTINEL', 'MASTER']).kind, 'arity');
  assert.deepEqual(sentinelCommand(core, ['MASTER']), {
    t: 'error',
    v: "ERR wrong number of arguments for 'sentinel|master' command",
  });
});

void test('command table - names are lowercase and unique; aliases collide with no name', () => {
  const all = SENTINEL_SUBCOMMANDS.flatMap((s) => [s.name, ...(s.aliases ?? [])]);
  assert.equal(new Set(all).size, all.length, 'no name or alias twice');
  for (const n of all) assert.equal(n, n.toLowerCase());
  for (const s of SENTINEL_SUBCOMMANDS)
    for (const a of s.aliases ?? []) assert.equal(lookupByFullName(`sentinel|${a}`), undefined);
});

void test('command table - SENTINEL HELP is Redis 7.0 text, one block per subcommand in table order', () => {
  const { core } = makeCore();
  const reply = sentinelCommand(core, ['help']);
  assert.equal(reply.t, 'array');
  const lines = reply.t === 'array' ? reply.v.map((l) => (l.t === 'simple' ? l.v : '?')) : [];
  // The 49 lines of redis-sentinel 7.0.15's SENTINEL HELP (the differential test compares them with the real one).
  assert.equal(lines.length, 49);
  assert.equal(
    createHash('sha256').update(lines.join('\n')).digest('hex'),
    '3bbf370406921572a60f511a969b9286d555a025bbdb28fff91c93501bcb95b9',
  );
  for (const s of SENTINEL_SUBCOMMANDS) {
    if (s.name === 'slaves') assert.deepEqual(s.help, [], 'Redis 7.0 does not list SLAVES');
    else assert.ok(s.help[0]?.startsWith(s.name.toUpperCase()), `HELP lists ${s.name} first in its block`);
  }
});

function mapKeys(node: DocNode | undefined): string[] {
  if (node === undefined || typeof node !== 'object' || Array.isArray(node) || !('map' in node)) return [];
  return node.map.map(([k]) => (typeof k === 'string' ? k : '?'));
}

function mapGet(node: DocNode | undefined, key: string): DocNode | undefined {
  if (node === undefined || typeof node !== 'object' || Array.isArray(node) || !('map' in node)) return undefined;
  return node.map.find(([k]) => k === key)?.[1];
}

void test('command table - COMMAND and COMMAND DOCS name the same commands and subcommands, in the same order', () => {
  assert.deepEqual(
    SENTINEL_COMMAND_DOCS.map(([n]) => n),
    SENTINEL_COMMANDS.map((c) => c.name),
    REGEN,
  );
  for (const [name, doc] of SENTINEL_COMMAND_DOCS) {
    const spec = SENTINEL_COMMANDS.find((c) => c.name === name);
    assert.deepEqual(
      mapKeys(mapGet(doc, 'subcommands')),
      (spec?.subcommands ?? []).map((s) => s.name),
      `${name}: ${REGEN}`,
    );
  }
});

void test('command table - every captured top-level command has a server handler and every handler a command', () => {
  assert.deepEqual(Object.keys(HANDLERS).sort(), SENTINEL_COMMANDS.map((c) => c.name).sort());
});
