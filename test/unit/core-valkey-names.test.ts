// Valkey 8/9 and Redis 7.2 names accepted alongside Redis 7.0's: SENTINEL PRIMARY/PRIMARIES/
// GET-PRIMARY-ADDR-BY-NAME/IS-PRIMARY-DOWN-BY-ADDR, FAILOVER <name> COORDINATED, CONFIG SET with several pairs,
// loglevel through SENTINEL CONFIG, and `sentinel primary-reboot-down-after-period` in the file. Replies are
// Redis 7.0's; the command table (COMMAND, COMMAND LIST/DOCS) and HELP are unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SENTINEL_SUBCOMMANDS, sentinelCommand } from '../../src/core/commands.js';
import type { CommandContext } from '../../src/core/commands.js';
import type { LogLevel } from '../../src/core/types.js';
import { parseConfig } from '../../src/config/parse.js';
import { persistedStateFromConfig, rewriteConfig } from '../../src/config/rewrite.js';
import { lookupByFullName, resolve } from '../../src/server/command-table.js';
import type { Out } from '../../src/resp/types.js';
import { makeCore, masterConfig, masterInfo, replicaInfo } from './core-helpers.js';

function world() {
  const ctx = makeCore({ masters: [masterConfig()] });
  const { net, clock } = ctx;
  for (let i = 0; i < 3; i++) {
    clock.t += 100;
    net.tick();
    net.upAll();
    net.answer(6379, (_c, tag) =>
      tag === 'info' ? masterInfo('m'.repeat(40), [['127.0.0.1', 6380]]) : tag === 'ping' ? 'PONG' : 1,
    );
    net.answer(6380, (_c, tag) =>
      tag === 'info' ? replicaInfo('r'.repeat(40), ['127.0.0.1', 6379], { offset: 77 }) : tag === 'ping' ? 'PONG' : 1,
    );
  }
  return ctx;
}

function logLevelCtx(initial: LogLevel = 'notice'): CommandContext & { level: LogLevel } {
  const c = {
    level: initial,
    logLevel: {
      get: () => c.level,
      set: (l: LogLevel) => {
        c.level = l;
      },
    },
  };
  return c;
}

/** A plain copy (both records are taken at the same manual-clock instant, so every field compares). */
function stable(o: Out): unknown {
  return JSON.parse(JSON.stringify(o), (_k, v: unknown) => v) as unknown;
}

void test('valkey names - PRIMARY, PRIMARIES, GET-PRIMARY-ADDR-BY-NAME reply as their Redis counterpart', () => {
  const { core } = world();
  assert.deepEqual(
    stable(sentinelCommand(core, ['PRIMARY', 'mymaster'])),
    stable(sentinelCommand(core, ['master', 'mymaster'])),
  );
  assert.deepEqual(stable(sentinelCommand(core, ['primaries'])), stable(sentinelCommand(core, ['masters'])));
  assert.deepEqual(sentinelCommand(core, ['get-primary-addr-by-name', 'mymaster']), {
    t: 'array',
    v: [
      { t: 'bulk', v: '127.0.0.1' },
      { t: 'bulk', v: '6379' },
    ],
  });
  assert.deepEqual(sentinelCommand(core, ['get-primary-addr-by-name', 'nope']), { t: 'nullarray' });
  // Redis 7.0's error texts; an arity error names the Redis subcommand, as the server's command table does.
  assert.deepEqual(sentinelCommand(core, ['primary', 'nope']), { t: 'error', v: 'ERR No such master with that name' });
  assert.deepEqual(sentinelCommand(core, ['primaries', 'x']), {
    t: 'error',
    v: "ERR wrong number of arguments for 'sentinel|masters' command",
  });
});

void test('valkey names - IS-PRIMARY-DOWN-BY-ADDR votes exactly like IS-MASTER-DOWN-BY-ADDR', () => {
  const { core } = world();
  const leader = 'b'.repeat(40);
  const r = sentinelCommand(core, ['is-primary-down-by-addr', '127.0.0.1', '6379', '1', leader]);
  assert.deepEqual(r, {
    t: 'array',
    v: [
      { t: 'int', v: 0 },
      { t: 'bulk', v: leader },
      { t: 'int', v: 1 },
    ],
  });
  // The same epoch asked through Redis's name sees the vote already given.
  const again = sentinelCommand(core, ['is-master-down-by-addr', '127.0.0.1', '6379', '1', 'c'.repeat(40)]);
  assert.deepEqual((again as { v: Out[] }).v[1], { t: 'bulk', v: leader });
  assert.equal(core.currentEpoch, 1);
});

void test('valkey names - FAILOVER <name> COORDINATED starts the (coordinated) manual failover', () => {
  const { core } = world();
  assert.deepEqual(sentinelCommand(core, ['failover', 'mymaster', 'coordinated']), { t: 'simple', v: 'OK' });
  const m = core.masters.get('mymaster');
  assert.ok(m?.failoverInProgress && m.forceFailover);
  assert.deepEqual(sentinelCommand(core, ['failover', 'mymaster', 'COORDINATED']), {
    t: 'error',
    v: 'INPROG Failover already in progress',
  });
  // Any other extra word is Redis 7.0's arity error.
  for (const args of [
    ['failover', 'mymaster', 'now'],
    ['failover', 'mymaster', 'coordinated', 'x'],
  ]) {
    assert.deepEqual(sentinelCommand(core, args), {
      t: 'error',
      v: "ERR wrong number of arguments for 'sentinel|failover' command",
    });
  }
  assert.deepEqual(sentinelCommand(core, ['failover', 'nosuch', 'coordinated']), {
    t: 'error',
    v: 'ERR No such master with that name',
  });
});

void test('config set - several pairs: all checked before any applies, one flush, duplicates refused', () => {
  const { core, net } = world();
  const ctx = logLevelCtx();
  const before = net.flushes;
  const apply = (args: string[]): Out => {
    const r = sentinelCommand(core, args, ctx);
    net.apply(core.drain());
    return r;
  };
  assert.deepEqual(apply(['config', 'set', 'resolve-hostnames', 'yes', 'announce-port', '1234', 'loglevel', 'debug']), {
    t: 'simple',
    v: 'OK',
  });
  assert.equal(core.resolveHostnames, true);
  assert.equal(core.announcePort, 1234);
  assert.equal(ctx.level, 'debug');
  assert.equal(net.flushes, before + 1, 'one rewrite for the three parameters');

  // A bad value in the last pair leaves the first untouched.
  assert.deepEqual(apply(['config', 'set', 'announce-port', '99', 'resolve-hostnames', 'maybe']), {
    t: 'error',
    v: "ERR Invalid value 'maybe' to SENTINEL CONFIG SET 'resolve-hostnames'",
  });
  assert.equal(core.announcePort, 1234);
  assert.deepEqual(apply(['config', 'set', 'announce-port', '99', 'nosuch', 'x']), {
    t: 'error',
    v: "ERR Invalid argument 'nosuch' to SENTINEL CONFIG SET",
  });
  assert.deepEqual(apply(['config', 'set', 'announce-port', '99', 'ANNOUNCE-PORT', '98']), {
    t: 'error',
    v: "ERR Duplicate argument 'ANNOUNCE-PORT' to SENTINEL CONFIG SET",
  });
  assert.equal(core.announcePort, 1234);
  assert.deepEqual(apply(['config', 'set', 'loglevel', 'loud']), {
    t: 'error',
    v: "ERR Invalid value 'loud' to SENTINEL CONFIG SET 'loglevel'",
  });
  assert.equal(ctx.level, 'debug');
  assert.equal(net.flushes, before + 1, 'no rewrite for a refused command');
  // An odd number of words is Redis 7.0's usage error, as before.
  assert.deepEqual(apply(['config', 'set', 'announce-port', '1', 'loglevel']), {
    t: 'error',
    v: 'ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.',
  });
});

void test('config get - loglevel alone; a pattern Redis 7.0 answers keeps 7.0 reply', () => {
  const { core } = world();
  const ctx = logLevelCtx('verbose');
  assert.deepEqual(sentinelCommand(core, ['config', 'get', 'loglevel'], ctx), {
    t: 'map',
    v: [
      [
        { t: 'bulk', v: 'loglevel' },
        { t: 'bulk', v: 'verbose' },
      ],
    ],
  });
  assert.deepEqual(
    sentinelCommand(core, ['config', 'get', 'log*'], ctx),
    sentinelCommand(core, ['config', 'get', 'loglevel'], ctx),
  );
  const all = sentinelCommand(core, ['config', 'get', '*'], ctx) as { v: Array<[Out, Out]> };
  assert.deepEqual(
    all.v.map(([k]) => (k as { v: string }).v),
    ['resolve-hostnames', 'announce-hostnames', 'announce-ip', 'announce-port', 'sentinel-user', 'sentinel-pass'],
  );
  // Without a log-level owner (the simulation), loglevel is unknown, as in Redis 7.0.
  assert.deepEqual(sentinelCommand(core, ['config', 'set', 'loglevel', 'debug']), {
    t: 'error',
    v: "ERR Invalid argument 'loglevel' to SENTINEL CONFIG SET",
  });
});

void test('config file - primary-reboot-down-after-period is read, and rewritten under Redis name', () => {
  const text = 'sentinel monitor mymaster 127.0.0.1 6379 2\nsentinel primary-reboot-down-after-period mymaster 5000\n';
  const doc = parseConfig(text);
  assert.equal(doc.config.masters[0]?.masterRebootDownAfterPeriodMs, 5000);
  const out = rewriteConfig(doc, persistedStateFromConfig(doc), {
    options: doc.config.server,
    cwd: '/',
  });
  assert.match(out, /^sentinel master-reboot-down-after-period mymaster 5000$/m);
  assert.doesNotMatch(out, /primary-reboot/);
  // SENTINEL SET takes Valkey's name too.
  const { core } = world();
  assert.deepEqual(sentinelCommand(core, ['set', 'mymaster', 'primary-reboot-down-after-period', '700']), {
    t: 'simple',
    v: 'OK',
  });
  assert.equal(core.masters.get('mymaster')?.masterRebootDownAfterPeriodMs, 700);
});

void test('command table - Valkey names resolve to the Redis entry; COMMAND stays 7.0 (no new names)', () => {
  const aliases = SENTINEL_SUBCOMMANDS.flatMap((s) => (s.aliases ?? []).map((a) => [a, s] as const));
  assert.deepEqual(
    aliases.map(([a, s]) => `${a}=${s.name}`),
    [
      'get-primary-addr-by-name=get-master-addr-by-name',
      'is-primary-down-by-addr=is-master-down-by-addr',
      'primary=master',
      'primaries=masters',
    ],
  );
  for (const [alias, target] of aliases) {
    const argv = ['SENTINEL', alias.toUpperCase(), ...Array.from({ length: Math.abs(target.arity) - 2 }, () => 'x')];
    const r = resolve(argv);
    assert.equal(r.kind, 'ok', alias);
    assert.equal(r.kind === 'ok' ? r.cmd.name : '', `sentinel|${target.name}`);
    assert.equal(lookupByFullName(`sentinel|${alias}`), undefined, `${alias} is not a table entry`);
  }
  // That every core subcommand is in the server's table with the same arity: test/unit/command-table.test.ts.
  assert.equal(resolve(['SENTINEL', 'FAILOVER', 'm', 'coordinated']).kind, 'ok');
  assert.equal(resolve(['SENTINEL', 'FAILOVER', 'm', 'other']).kind, 'arity');
  assert.equal(resolve(['SENTINEL', 'FAILOVER', 'm', 'coordinated', 'x']).kind, 'arity');
});
