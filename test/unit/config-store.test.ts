// The config store: start-up checks with Redis's messages, the atomic replace, and the in-place fallback when
// rename(2) cannot replace the file (single-file bind mount). Failures are injected through the StoreFs seam;
// the happy paths use a real temp directory.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  ConfigFileError,
  ConfigFileStore,
  loadConfigFile,
  parseConfig,
  persistedStateFromConfig,
  rewriteConfig,
  writeConfigAtomic,
} from '../../src/config/index.js';
import { nodeStoreFs, type StoreFs } from '../../src/config/store.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-config-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });

function withRename(code: string, calls: string[]): StoreFs {
  return {
    ...nodeStoreFs,
    rename: async (from, to) => {
      calls.push(`rename ${from} -> ${to}`);
      throw errno(code);
    },
  };
}

void describe('config store - loadConfigFile', () => {
  void test('config store - no path: Redis message', async () => {
    await assert.rejects(loadConfigFile(undefined), (e: unknown) => {
      assert.ok(e instanceof ConfigFileError);
      assert.equal(e.code, 'VIGIL_ERR_CONFIG_FILE');
      assert.equal(e.message, 'Sentinel needs config file on disk to save state. Exiting...');
      return true;
    });
  });

  void test('config store - missing file: Redis message with the absolute path', async () => {
    await assert.rejects(loadConfigFile('nope.conf', { cwd: dir }), {
      message: `Fatal error, can't open config file '${join(dir, 'nope.conf')}': No such file or directory`,
    });
  });

  void test('config store - a directory is refused', async () => {
    await assert.rejects(loadConfigFile(dir), {
      message: `Fatal error, can't open config file '${dir}': Is a directory`,
    });
  });

  void test('config store - not writable: Redis message with strerror', async () => {
    const p = join(dir, 'ro.conf');
    writeFileSync(p, 'sentinel monitor m 127.0.0.1 6379 2\n');
    const fs: StoreFs = { ...nodeStoreFs, access: async () => Promise.reject(errno('EROFS')) };
    await assert.rejects(loadConfigFile(p, { fs }), {
      message: `Sentinel config file ${p} is not writable: Read-only file system. Exiting...`,
    });
  });

  void test('config store - loads, parses with argv lines and checks scripts with access(X_OK)', async () => {
    const p = join(dir, 'ok.conf');
    writeFileSync(p, 'sentinel monitor m 127.0.0.1 6379 2\nsentinel notification-script m /bin/true\n');
    const loaded = await loadConfigFile(p, { argvLines: ['port "26390" '] });
    assert.equal(loaded.path, p);
    assert.equal(loaded.doc.config.server.port, 26390);
    assert.equal(loaded.doc.config.masters[0]?.notificationScript, '/bin/true');

    const script = join(dir, 'script.sh');
    writeFileSync(script, '#!/bin/sh\n');
    chmodSync(script, 0o644);
    writeFileSync(p, `sentinel monitor m 127.0.0.1 6379 2\nsentinel notification-script m ${script}\n`);
    await assert.rejects(loadConfigFile(p), (e: unknown) => e instanceof ConfigError && e.lineNo === 2);
  });
});

void describe('config store - writeConfigAtomic', () => {
  void test('config store - replaces the file via a temp file in the same directory; a new file gets 0644 & ~umask', async () => {
    const p = join(dir, 'atomic.conf');
    const calls: string[] = [];
    const fs: StoreFs = {
      ...nodeStoreFs,
      rename: async (from, to) => {
        calls.push(from);
        assert.equal(readFileSync(from, 'utf8'), 'new\n', 'temp file complete before rename');
        return nodeStoreFs.rename(from, to);
      },
    };
    const r = await writeConfigAtomic(p, 'new\n', { fs, umask: 0o027 });
    assert.deepEqual(r, { mode: 'rename' });
    assert.equal(statSync(p).mode & 0o777, 0o640);
    // An existing file keeps its mode (deviation from Redis, which resets it to 0644 & ~umask).
    chmodSync(p, 0o600);
    await writeConfigAtomic(p, 'new\n', { fs, umask: 0o022 });
    assert.equal(statSync(p).mode & 0o777, 0o600);
    chmodSync(p, 0o640);
    assert.equal(readFileSync(p, 'utf8'), 'new\n');
    assert.equal(statSync(p).mode & 0o777, 0o640);
    assert.match(calls[0] ?? '', new RegExp(`^${p.replace(/[.]/g, '\\.')}\\.[A-Za-z0-9_-]{6}$`));
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith('atomic.conf.')),
      [],
    );
  });

  for (const code of ['EBUSY', 'EXDEV']) {
    void test(`config store - rename fails with ${code} (bind mount): rewritten in place, logged, no temp left`, async () => {
      const p = join(dir, `mount-${code}.conf`);
      writeFileSync(p, 'a much longer old content that must not survive\n');
      chmodSync(p, 0o600);
      const calls: string[] = [];
      const logs: string[] = [];
      const r = await writeConfigAtomic(p, 'new\n', {
        fs: withRename(code, calls),
        umask: 0o022,
        log: (m) => logs.push(m),
      });
      assert.deepEqual(r, { mode: 'in-place' });
      assert.equal(calls.length, 1);
      assert.equal(statSync(p).mode & 0o777, 0o600, 'the in-place path keeps the mode');
      assert.equal(readFileSync(p, 'utf8'), 'new\n');
      assert.equal(logs.length, 1);
      assert.match(logs[0] ?? '', /Could not rename tmp config file .*rewrote it in place/);
      assert.deepEqual(
        readdirSync(dir).filter((f) => f.startsWith(`mount-${code}.conf.`)),
        [],
      );
    });
  }

  void test('config store - any other rename error rejects, the old file is intact and the temp file removed', async () => {
    const p = join(dir, 'eacces.conf');
    writeFileSync(p, 'old\n');
    await assert.rejects(writeConfigAtomic(p, 'new\n', { fs: withRename('EACCES', []) }), { code: 'EACCES' });
    assert.equal(readFileSync(p, 'utf8'), 'old\n');
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith('eacces.conf.')),
      [],
    );
  });

  void test('config store - a failing fsync of the temp file rejects before anything is replaced', async () => {
    const p = join(dir, 'nospc.conf');
    writeFileSync(p, 'old\n');
    const fs: StoreFs = {
      ...nodeStoreFs,
      open: async (path, flags, mode) => {
        const fh = await nodeStoreFs.open(path, flags, mode);
        return {
          ...fh,
          writeFile: fh.writeFile.bind(fh),
          truncate: fh.truncate.bind(fh),
          chmod: fh.chmod.bind(fh),
          close: fh.close.bind(fh),
          sync: async () => Promise.reject(errno('ENOSPC')),
        };
      },
    };
    await assert.rejects(writeConfigAtomic(p, 'new\n', { fs }), { code: 'ENOSPC' });
    assert.equal(readFileSync(p, 'utf8'), 'old\n');
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith('nospc.conf.')),
      [],
    );
  });
});

void describe('config store - ConfigFileStore', () => {
  void test('config store - each flush rewrites the file on disk now; concurrent flushes land in call order', async () => {
    const p = join(dir, 'store.conf');
    const initial = `sentinel myid ${'1'.repeat(40)}\nsentinel monitor m 127.0.0.1 6379 2\n`;
    writeFileSync(p, initial);
    const doc = parseConfig(initial);
    const server = { options: doc.config.server, cwd: '/x' };
    const s1 = persistedStateFromConfig(doc);
    const s2 = { ...persistedStateFromConfig(doc), currentEpoch: 1 };
    const s3 = { ...persistedStateFromConfig(doc), currentEpoch: 2, announcePort: 26999 };
    const store = new ConfigFileStore(p, { umask: 0o022 });
    const results = await Promise.all([
      store.persist(s1, server),
      store.persist(s2, server),
      store.persist(s3, server),
    ]);
    assert.deepEqual(
      results.map((r) => r.mode),
      ['rename', 'rename', 'rename'],
    );
    const expected = rewriteConfig(rewriteConfig(rewriteConfig(initial, s1, server), s2, server), s3, server);
    assert.equal(readFileSync(p, 'utf8'), expected);
    assert.match(expected, /^sentinel current-epoch 2$/m);
  });

  void test('config store - a failed flush does not block the next one', async () => {
    const p = join(dir, 'store-fail.conf');
    writeFileSync(p, '');
    const doc = parseConfig('');
    const server = { options: doc.config.server, cwd: '/x' };
    let fail = true;
    const fs: StoreFs = {
      ...nodeStoreFs,
      rename: async (a, b) => {
        if (fail) {
          fail = false;
          throw errno('EACCES');
        }
        return nodeStoreFs.rename(a, b);
      },
    };
    const store = new ConfigFileStore(p, { fs });
    const first = store.persist(persistedStateFromConfig(doc), server);
    const second = store.persist({ ...persistedStateFromConfig(doc), currentEpoch: 3 }, server);
    await assert.rejects(first, { code: 'EACCES' });
    assert.deepEqual(await second, { mode: 'rename' });
    assert.match(readFileSync(p, 'utf8'), /^sentinel current-epoch 3$/m);
  });
});

// Crash safety of the in-place path (issue 12): the write is cut at every step — after any pwrite, fsync or
// truncate, and in the middle of each pwrite (a prefix of it, or a random subset of its 512-byte blocks, as a
// power loss can leave) — and the file must then load as exactly the old or exactly the new config.
void describe('config store - in-place rewrite is crash-safe', () => {
  class Crash extends Error {}
  const OLD = [
    `sentinel myid ${'1'.repeat(40)}`,
    'sentinel monitor old 127.0.0.1 6379 2',
    'sentinel down-after-milliseconds old 5000',
    ...Array.from({ length: 40 }, (_, i) => `sentinel known-replica old 127.0.0.${i + 2} 6379`),
    'sentinel current-epoch 7',
    '',
  ].join('\n');
  const NEW_SHORT = `sentinel myid ${'1'.repeat(40)}\nsentinel monitor new 127.0.0.9 6380 1\nsentinel current-epoch 8\n`;
  const NEW_LONG =
    NEW_SHORT +
    Array.from({ length: 80 }, (_, i) => `# a long new comment line ${i} ${'x'.repeat(40)}`).join('\n') +
    '\n';

  type Cut = { step: number; how: 'after' | 'prefix' | 'blocks' };
  /** A file system whose handle on `target` crashes at `cut` (steps: each writeAt, sync, truncate on it). */
  function crashingFs(target: string, cut: Cut, seed: number): { fs: StoreFs; steps: () => number } {
    let step = 0;
    let rnd = seed;
    const next = (): number => (rnd = (rnd * 1103515245 + 12345) & 0x7fffffff);
    const fs: StoreFs = {
      ...nodeStoreFs,
      rename: async () => Promise.reject(errno('EBUSY')),
      open: async (path, flags, mode) => {
        const fh = await nodeStoreFs.open(path, flags, mode);
        if (path !== target) return fh;
        const gate = async (run: () => Promise<void>, partial?: (how: Cut['how']) => Promise<void>): Promise<void> => {
          const me = step++;
          if (me === cut.step && cut.how !== 'after' && partial) {
            await partial(cut.how);
            throw new Crash();
          }
          await run();
          if (me === cut.step) throw new Crash();
        };
        return {
          ...fh,
          writeAt: (data, pos) =>
            gate(
              () => fh.writeAt(data, pos),
              async (how) => {
                if (how === 'prefix') return fh.writeAt(data.subarray(0, next() % (data.length + 1)), pos);
                for (let off = 0; off < data.length; off += 512) {
                  if (next() % 2 === 0)
                    await fh.writeAt(data.subarray(off, Math.min(off + 512, data.length)), pos + off);
                }
              },
            ),
          sync: () => gate(() => fh.sync()),
          truncate: (n) => gate(() => fh.truncate(n)),
        };
      },
    };
    return { fs, steps: () => step };
  }

  for (const [label, next] of [
    ['shorter', NEW_SHORT],
    ['longer', NEW_LONG],
  ] as const) {
    void test(`config store - every crash point of an in-place rewrite to a ${label} file loads as old or new`, async () => {
      const p = join(dir, `crash-${label}.conf`);
      const oldCfg = parseConfig(OLD).config;
      const newCfg = parseConfig(next).config;
      // Count the steps of a complete run first.
      writeFileSync(p, OLD);
      const probe = crashingFs(p, { step: -1, how: 'after' }, 1);
      await writeConfigAtomic(p, next, { fs: probe.fs });
      const total = probe.steps();
      assert.equal(total, 8, 'mark+fsync, block+fsync, head+fsync, truncate+fsync');
      const seen = new Set<string>();
      for (let stepNo = 0; stepNo < total; stepNo++) {
        for (const how of ['after', 'prefix', 'blocks'] as const) {
          for (let seed = 1; seed <= (how === 'after' ? 1 : 8); seed++) {
            writeFileSync(p, OLD);
            chmodSync(p, 0o600);
            const { fs } = crashingFs(p, { step: stepNo, how }, seed);
            await assert.rejects(writeConfigAtomic(p, next, { fs }), Crash);
            const loaded = await loadConfigFile(p);
            const cfg = loaded.doc.config;
            const which =
              JSON.stringify(cfg) === JSON.stringify(newCfg)
                ? 'new'
                : JSON.stringify(cfg) === JSON.stringify(oldCfg)
                  ? 'old'
                  : 'neither';
            assert.notEqual(which, 'neither', `step ${stepNo} ${how} seed ${seed}:\n${readFileSync(p, 'utf8')}`);
            seen.add(which);
            assert.equal(statSync(p).mode & 0o777, 0o600);
            // The next flush starts from the recovered text and leaves a clean file.
            const store = new ConfigFileStore(p, {
              fs: { ...nodeStoreFs, rename: async () => Promise.reject(errno('EBUSY')) },
            });
            await store.persist(persistedStateFromConfig(loaded.doc), { options: cfg.server, cwd: '/x' });
            const after = readFileSync(p, 'utf8');
            assert.ok(!after.includes('# vigil: '), after);
            assert.deepEqual(parseConfig(after).config.masters, cfg.masters);
          }
        }
      }
      assert.deepEqual([...seen].sort(), ['new', 'old']);
    });
  }

  void test('config store - ENOSPC while the file grows: the old config stays, the next flush succeeds', async () => {
    const p = join(dir, 'enospc-inplace.conf');
    writeFileSync(p, OLD);
    let failed = false;
    const fs: StoreFs = {
      ...nodeStoreFs,
      rename: async () => Promise.reject(errno('EBUSY')),
      open: async (path, flags, mode) => {
        const fh = await nodeStoreFs.open(path, flags, mode);
        if (path !== p) return fh;
        return {
          ...fh,
          writeAt: async (data, pos) => {
            if (!failed) {
              failed = true;
              await fh.writeAt(data.subarray(0, Math.floor(data.length / 3)), pos);
              throw errno('ENOSPC');
            }
            return fh.writeAt(data, pos);
          },
        };
      },
    };
    await assert.rejects(writeConfigAtomic(p, NEW_LONG, { fs }), { code: 'ENOSPC' });
    const loaded = await loadConfigFile(p);
    assert.equal(loaded.recovered, 'discarded');
    assert.deepEqual(loaded.doc.config, parseConfig(OLD).config);
    await writeConfigAtomic(p, NEW_LONG, { fs });
    assert.equal(readFileSync(p, 'utf8'), NEW_LONG);
  });

  void test('config store - the rename path keeps the owner and mode of the old file', async () => {
    const p = join(dir, 'owner.conf');
    writeFileSync(p, OLD);
    chmodSync(p, 0o640);
    const before = statSync(p);
    const chowns: Array<[number, number]> = [];
    const fs: StoreFs = {
      ...nodeStoreFs,
      open: async (path, flags, mode) => {
        const fh = await nodeStoreFs.open(path, flags, mode);
        return {
          ...fh,
          chown: async (u, g) => {
            chowns.push([u, g]);
            return fh.chown(u, g);
          },
        };
      },
    };
    await writeConfigAtomic(p, NEW_SHORT, { fs, umask: 0o022 });
    const st = statSync(p);
    assert.equal(st.mode & 0o777, 0o640);
    assert.deepEqual([st.uid, st.gid], [before.uid, before.gid]);
    assert.deepEqual(chowns, [[before.uid, before.gid]]);
  });
});
