// Persistence of a running vigil sentinel: every flush re-reads the file as it is on disk and rewrites it the way
// Redis's sentinelFlushConfig does, so the layout records the file's history (a kind that first appears in a later
// flush is appended at the end, after the lines of earlier flushes), the ACL users are written as ACL LIST prints
// them, and a restart from the file keeps myid and epochs.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, persistedStateFromConfig, rewriteConfig } from '../../src/config/index.js';
import { Harness, freePort, type SentinelImpl } from '../harness/index.js';
import { addrOf, call, failoverAccepted, masterAddr, record, replicasOf, startCluster } from './sentinel-helpers.js';

/** What src/config's rewriter makes of `previous` given the state recorded in `next` and the live ACL users. */
function rewriteFrom(previous: string, next: string, aclUsers: string[]): string {
  const doc = parseConfig(next);
  const dirLine = doc.config.server.dir;
  assert.ok(dirLine !== undefined, 'the rewritten file records dir');
  return rewriteConfig(previous, persistedStateFromConfig(doc), { options: doc.config.server, cwd: dirLine, aclUsers });
}

function lineIndex(text: string, re: RegExp): number {
  return text.split('\n').findIndex((l) => re.test(l));
}

void describe('sentinel - config persistence', () => {
  const h = new Harness();
  after(() => h.cleanup());

  void test('sentinel - each flush rewrites the file on disk like Redis, and a restart keeps myid and epochs', async () => {
    const cl = await startCluster(h, {
      impls: ['vigil'],
      quorum: 1,
      replicas: 1,
      extraConf: ['# operator comment kept in place', 'user alice on >alicepw ~* &* +ping +sentinel'].join('\n'),
    });
    const s = cl.sentinels[0]!;
    const read = (): string => readFileSync(s.confPath, 'utf8');
    const aclList = async (): Promise<string[]> => {
      const r = await call(s.port, 'ACL', 'LIST');
      return Array.isArray(r) ? r.map(String) : [];
    };
    // A lone sentinel with its replica discovered and written has no reason to flush on its own.
    await h.waitFor(async () => (await replicasOf(s)).length === 1 && read().includes('known-replica'), {
      name: 'replica discovered and persisted',
      timeoutMs: 15000,
      intervalMs: 100,
    });
    const users = await aclList();
    assert.ok(
      users.some((u) => u.startsWith('user alice on #')),
      users.join('\n'),
    );

    // Three flushes, each checked against the rewriter applied to the file as it was just before.
    const f0 = read();
    assert.equal(await call(s.port, 'SENTINEL', 'SET', 'mymaster', 'parallel-syncs', '2'), 'OK');
    const f1 = read();
    assert.equal(f1, rewriteFrom(f0, f1, users));
    assert.equal(await call(s.port, 'SENTINEL', 'SET', 'mymaster', 'master-reboot-down-after-period', '5000'), 'OK');
    const f2 = read();
    assert.equal(f2, rewriteFrom(f1, f2, users));
    assert.equal(await call(s.port, 'SENTINEL', 'CONFIG', 'SET', 'announce-port', String(s.port)), 'OK');
    const f3 = read();
    assert.equal(f3, rewriteFrom(f2, f3, users));

    // History: kinds first written by a later flush come after everything an earlier flush wrote (Redis's layout);
    // rewriting from the start-up document instead would put them next to the master's other lines.
    const ce = lineIndex(f3, /^sentinel current-epoch /);
    const kr = lineIndex(f3, /^sentinel known-replica /);
    const ps = lineIndex(f3, /^sentinel parallel-syncs /);
    const rb = lineIndex(f3, /^sentinel master-reboot-down-after-period /);
    const ap = lineIndex(f3, /^sentinel announce-port /);
    assert.ok(ce >= 0 && kr > ce && ps > kr && rb > ps && ap > rb, f3);
    assert.ok(lineIndex(f3, /^# operator comment kept in place$/) >= 0, f3);
    // Users as ACL LIST prints them (hashed password), never the plaintext from the original line.
    assert.ok(!f3.includes('alicepw'), f3);
    assert.deepEqual(
      f3
        .split('\n')
        .filter((l) => l.startsWith('user '))
        .sort(),
      [...users].sort(),
    );

    // A failover flushes several times; once it has settled the file is a fixed point of the rewriter.
    await h.waitFor(
      async () => String(await call(cl.replicas[0]!.port, 'INFO', 'replication')).includes('master_link_status:up'),
      { name: 'replica in sync', timeoutMs: 15000, intervalMs: 100 },
    );
    await failoverAccepted(h, s.port);
    const target = addrOf(cl.replicas[0]!);
    await h.waitFor(async () => (await masterAddr(s)) === target, {
      name: 'switched',
      timeoutMs: 15000,
      intervalMs: 50,
    });
    const settled = await h.waitFor(
      async () => {
        const text = read();
        const rec = record(await call(s.port, 'SENTINEL', 'MASTER', 'mymaster'));
        const ok =
          text.includes(`sentinel monitor mymaster 127.0.0.1 ${cl.replicas[0]!.port} 1`) &&
          text.includes(`sentinel config-epoch mymaster ${rec['config-epoch']}`) &&
          text.includes(`sentinel known-replica mymaster 127.0.0.1 ${cl.master.port}`) &&
          rec.flags === 'master';
        return ok ? text : null;
      },
      { name: 'failover persisted', timeoutMs: 15000, intervalMs: 100 },
    );
    assert.equal(settled, rewriteFrom(settled, settled, users));
    assert.ok(lineIndex(settled, /^sentinel parallel-syncs /) > lineIndex(settled, /^sentinel current-epoch /));

    // Restart from the file: same identity, same epochs, same master.
    const myid = String(await call(s.port, 'SENTINEL', 'MYID'));
    const before = record(await call(s.port, 'SENTINEL', 'MASTER', 'mymaster'));
    const fileBefore = parseConfig(read()).config;
    await s.restart();
    assert.equal(String(await call(s.port, 'SENTINEL', 'MYID')), myid);
    const afterRec = record(await call(s.port, 'SENTINEL', 'MASTER', 'mymaster'));
    assert.equal(afterRec['config-epoch'], before['config-epoch']);
    assert.equal(await masterAddr(s), target);
    assert.equal(await call(s.port, 'SENTINEL', 'FLUSHCONFIG'), 'OK');
    const fileAfter = parseConfig(read()).config;
    assert.equal(fileAfter.sentinel.myid, myid);
    assert.equal(fileAfter.sentinel.currentEpoch, fileBefore.sentinel.currentEpoch);
    assert.ok(fileAfter.sentinel.currentEpoch >= 1);
    assert.equal(fileAfter.masters[0]?.configEpoch, fileBefore.masters[0]?.configEpoch);
    assert.equal(fileAfter.masters[0]?.leaderEpoch, fileBefore.masters[0]?.leaderEpoch);
    assert.equal(fileAfter.masters[0]?.parallelSyncs, 2);
    assert.equal(fileAfter.sentinel.announcePort, s.port);
  });
  // Redis chdir()s at `dir` and applies the sentinel directives after every other line, so a relative script path
  // accepted at runtime (relative to `dir`, the process's cwd) must also resolve against `dir` at the next start,
  // wherever the process is started from and wherever `dir` sits in the file.
  for (const impl of ['vigil', 'redis'] as SentinelImpl[]) {
    for (const where of ['before', 'after'] as const) {
      void test(`sentinel - ${impl}: a relative script path set at runtime survives a restart (dir ${where} the sentinel lines)`, async () => {
        const data = h.tempDir('vigil-data-');
        mkdirSync(join(data, 'hooks'));
        writeFileSync(join(data, 'hooks', 'notify.sh'), '#!/bin/sh\nexit 0\n');
        chmodSync(join(data, 'hooks', 'notify.sh'), 0o755);
        const sentinelLines = [
          `sentinel monitor m 127.0.0.1 ${await freePort()} 1`,
          'sentinel deny-scripts-reconfig no',
        ];
        const conf = where === 'before' ? [`dir ${data}`, ...sentinelLines] : [...sentinelLines, `dir ${data}`];
        const s = await h.sentinel({ impl, conf: conf.join('\n') });
        assert.equal(await call(s.port, 'SENTINEL', 'SET', 'm', 'notification-script', 'hooks/notify.sh'), 'OK');
        assert.equal(await call(s.port, 'SENTINEL', 'SET', 'm', 'client-reconfig-script', 'hooks/notify.sh'), 'OK');
        const text = readFileSync(s.confPath, 'utf8');
        assert.match(text, /^sentinel notification-script m "?hooks\/notify\.sh"?$/m, text);
        await s.restart();
        assert.equal(await call(s.port, 'PING'), 'PONG');
      });
    }
  }

  // Config injection (issue 12): the ACL SETUSER payload is refused; names and rules Redis accepts but cannot
  // write safely (a quote in a name, a newline in a first-argument rule) are quoted and survive a restart.
  void test('sentinel - vigil: no client-chosen value becomes a directive, and quoted users survive a restart', async () => {
    const s = await h.sentinel({ impl: 'vigil', conf: `sentinel monitor m 127.0.0.1 ${await freePort()} 1` });
    const payload = 'x\nsentinel client-reconfig-script m /usr/bin/env\n#';
    const refused = await call(s.port, 'ACL', 'SETUSER', payload, 'on');
    assert.ok(refused instanceof Error && /Usernames can't contain spaces or null characters/.test(refused.message));
    assert.equal(await call(s.port, 'ACL', 'SETUSER', 'q"u\'ote', 'on', '>pw', '+info|a\nsentinel x'), 'OK');
    assert.equal(
      await call(s.port, 'SENTINEL', 'SET', 'm', 'auth-pass', 'p\nsentinel client-reconfig-script m /usr/bin/env'),
      'OK',
    );
    assert.equal(await call(s.port, 'SENTINEL', 'FLUSHCONFIG'), 'OK');
    const text = readFileSync(s.confPath, 'utf8');
    assert.ok(!/^\s*sentinel\s+client-reconfig-script/m.test(text), text);
    assert.ok(!/^\s*sentinel x/m.test(text), text);
    const before = await call(s.port, 'ACL', 'LIST');
    await s.restart();
    assert.deepEqual(await call(s.port, 'ACL', 'LIST'), before);
    const after = parseConfig(readFileSync(s.confPath, 'utf8')).config.masters[0];
    assert.equal(after?.clientReconfigScript, undefined);
    assert.equal(after?.authPass, 'p\nsentinel client-reconfig-script m /usr/bin/env');
  });
});
