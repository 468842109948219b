// The sentinel starts whatever its entry file is called (issue 12): a symlink named `redis-sentinel` (how a
// drop-in is installed, and what Debian alternatives do), a wrapper shell script that runs the entry under another
// file name, `node dist/cli/sentinel-main.js`, and `vigil sentinel`. Each must answer PING; before the fix the
// entry looked at argv[1]'s name and exited 0 at once for the first two.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Harness, REPO_ROOT, answersPong, freePort } from '../harness/index.js';

const TSX = pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const BIN = join(REPO_ROOT, 'bin/vigil-sentinel');
const DIST_ENTRY = join(REPO_ROOT, 'dist/cli/sentinel-main.js');
const built = existsSync(DIST_ENTRY) ? false : 'dist/ not built: run `npm run build`';

void describe('sentinel - entry point does not depend on its file name', () => {
  const h = new Harness();
  after(() => h.cleanup());

  /** Start `cmd args... <conf> --port N` in a fresh dir and require a PONG (fails fast if the process exits). */
  async function startsAndPongs(name: string, cmd: string, args: string[]): Promise<void> {
    const dir = h.tempDir('vigil-entry-');
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(conf, 'sentinel monitor m 127.0.0.1 1 1\n');
    const port = await freePort();
    const p = await h.spawn(cmd, [...args, conf, '--port', String(port)], {
      name,
      cwd: dir,
      readyWhen: () => answersPong(port).catch(() => false),
      readyTimeoutMs: 20000,
    });
    assert.ok(p.running, `${name} is running`);
    await p.kill('SIGKILL');
  }

  void test('sentinel - started from source through a symlink named redis-sentinel', async () => {
    const dir = h.tempDir('vigil-entry-bin-');
    const link = join(dir, 'redis-sentinel');
    symlinkSync(join(REPO_ROOT, 'src/cli/sentinel-main.ts'), link);
    await startsAndPongs('symlink(src)', process.execPath, ['--import', TSX, link]);
  });

  void test('sentinel - bin/vigil-sentinel through a symlink named redis-sentinel', { skip: built }, async () => {
    const dir = h.tempDir('vigil-entry-bin-');
    const link = join(dir, 'redis-sentinel');
    symlinkSync(BIN, link);
    await startsAndPongs('symlink(bin)', link, []);
  });

  void test('sentinel - a wrapper script running the compiled entry under another name', { skip: built }, async () => {
    const dir = h.tempDir('vigil-entry-wrap-');
    // A packaged layout: the library lives elsewhere under its own name, a shell wrapper on PATH execs node on it.
    mkdirSync(join(dir, 'lib'));
    symlinkSync(DIST_ENTRY, join(dir, 'lib', 'sentinel.js'));
    const wrapper = join(dir, 'redis-sentinel');
    writeFileSync(wrapper, `#!/bin/sh\nexec "${process.execPath}" "${join(dir, 'lib', 'sentinel.js')}" "$@"\n`);
    chmodSync(wrapper, 0o755);
    await startsAndPongs('wrapper', wrapper, []);
  });

  void test('sentinel - node dist/cli/sentinel-main.js', { skip: built }, async () => {
    await startsAndPongs('node dist', process.execPath, [DIST_ENTRY]);
  });

  void test('sentinel - vigil sentinel (from source) runs exactly one sentinel', async () => {
    // The dispatcher imports the sentinel module, not the always-running entry: a second start would fail to bind.
    await startsAndPongs('vigil sentinel', process.execPath, [
      '--import',
      TSX,
      join(REPO_ROOT, 'src/cli/vigil.ts'),
      'sentinel',
    ]);
  });
});
