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
  void test('config store - replaces the file via a temp file in the same directory, mode 0644 & ~umask', async () => {
    const p = join(dir, 'atomic.conf');
    writeFileSync(p, 'old\n');
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
      const calls: string[] = [];
      const logs: string[] = [];
      const r = await writeConfigAtomic(p, 'new\n', {
        fs: withRename(code, calls),
        umask: 0o022,
        log: (m) => logs.push(m),
      });
      assert.deepEqual(r, { mode: 'in-place' });
      assert.equal(calls.length, 1);
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
