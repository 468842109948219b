// `sentinel state-config-file`: the pure parts (which lines the state file owns, the combined text, the state
// file's text) and the loader with an injected file system (a read-only sentinel.conf is accepted only with the
// directive; Redis's refusal stays exact without it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigFileError,
  ConfigFileStore,
  combineWithState,
  findStateConfigFile,
  loadConfigFile,
  nodeStoreFs,
  parseConfig,
  persistedStateFromConfig,
  renderStateFile,
  type StoreFs,
} from '../../src/config/index.js';

const MAIN = [
  'port 26379',
  'sentinel state-config-file /var/lib/vigil/state.conf',
  'sentinel deny-scripts-reconfig no',
  'sentinel monitor mymaster 127.0.0.1 6379 2',
  'sentinel down-after-milliseconds mymaster 5000',
  'loglevel warning',
  '',
].join('\n');

void test('state file - the directive is found, parsed, and needs a path', () => {
  assert.equal(findStateConfigFile(MAIN), '/var/lib/vigil/state.conf');
  assert.equal(findStateConfigFile('port 1\n'), undefined);
  assert.equal(findStateConfigFile('', ['sentinel state-config-file "/x y"']), '/x y');
  assert.equal(parseConfig(MAIN).config.sentinel.stateConfigFile, '/var/lib/vigil/state.conf');
  assert.throws(() => parseConfig('sentinel state-config-file ""\n'), /Empty state-config-file path/);
  assert.throws(() => parseConfig('sentinel state-config-file a b\n'), /Unrecognized sentinel configuration/);
});

void test('state file - combined text: state lines replace sentinel.conf state, the rest stays', () => {
  // No state yet: sentinel.conf alone.
  assert.equal(combineWithState(MAIN, '', '/s'), MAIN);
  assert.equal(combineWithState(MAIN, '# only a comment\n\n', '/s'), MAIN);
  const state = 'sentinel myid ' + 'a'.repeat(40) + '\nsentinel monitor mymaster 127.0.0.1 6380 2\n';
  const doc = parseConfig(combineWithState(MAIN, state, '/s'));
  const m = doc.config.masters;
  assert.equal(m.length, 1);
  assert.equal(m[0]?.port, 6380, 'the state file names the master');
  assert.equal(m[0]?.downAfterMs, 30000, "sentinel.conf's per-master lines are replaced as a whole");
  assert.equal(doc.config.sentinel.denyScriptsReconfig, false, 'deny-scripts-reconfig comes from sentinel.conf');
  assert.equal(doc.config.server.loglevel, 'warning', "no loglevel in the state: sentinel.conf's");
  assert.equal(doc.config.server.port, 26379);
  assert.equal(parseConfig(combineWithState(MAIN, `${state}loglevel debug\n`, '/s')).config.server.loglevel, 'debug');
  // Line numbers of sentinel.conf survive (its state lines are blanked, not removed).
  assert.equal(combineWithState(MAIN, state, '/s').split('\n')[3], '');
  for (const bad of [
    'port 1',
    'user eve on nopass +@all',
    'sentinel state-config-file /x',
    'sentinel deny-scripts-reconfig no',
  ]) {
    assert.throws(() => combineWithState(MAIN, `${bad}\n`, '/s'), /is not a state line/, bad);
  }
});

void test('state file - rendered text holds the sentinel state and a changed loglevel only', () => {
  const doc = parseConfig(MAIN);
  const state = persistedStateFromConfig(doc);
  state.myid = 'b'.repeat(40);
  const server = { options: { ...doc.config.server }, cwd: '/tmp' };
  const text = renderStateFile(state, server, 'warning');
  const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  assert.ok(
    lines.every((l) => l.startsWith('sentinel ')),
    text,
  );
  assert.ok(lines.includes(`sentinel myid ${'b'.repeat(40)}`));
  assert.ok(lines.includes('sentinel monitor mymaster 127.0.0.1 6379 2'));
  assert.ok(lines.includes('sentinel down-after-milliseconds mymaster 5000'));
  assert.ok(!lines.some((l) => /deny-scripts|state-config-file/.test(l)));
  server.options.loglevel = 'notice';
  assert.match(renderStateFile(state, server, 'warning'), /^loglevel notice$/m, 'back to the default is still written');
  // What it writes reads back to the same state.
  const again = parseConfig(combineWithState(MAIN, text, '/s'));
  assert.deepEqual(persistedStateFromConfig(again).masters, state.masters);
});

void test('state file - loader: read-only sentinel.conf accepted only with the directive', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-unit-state-'));
  try {
    const main = join(dir, 'sentinel.conf');
    const statePath = join(dir, 'state.conf');
    const readOnly = (p: string): StoreFs => ({
      ...nodeStoreFs,
      access: async (q, mode) => {
        if (q === p && mode !== undefined && (mode & 2) !== 0)
          throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
        return nodeStoreFs.access(q, mode);
      },
    });
    writeFileSync(main, 'sentinel monitor mymaster 127.0.0.1 6379 2\n');
    await assert.rejects(
      loadConfigFile(main, { fs: readOnly(main), cwd: dir }),
      (e: unknown) =>
        e instanceof ConfigFileError &&
        e.message === `Sentinel config file ${main} is not writable: Permission denied. Exiting...`,
    );
    writeFileSync(main, `sentinel state-config-file state.conf\nsentinel monitor mymaster 127.0.0.1 6379 2\n`);
    const first = await loadConfigFile(main, { fs: readOnly(main), cwd: dir });
    assert.equal(first.state?.path, statePath, 'relative to the final dir');
    assert.equal(first.doc.config.masters[0]?.port, 6379);
    // A flush through the state store, then a load: the state wins.
    const state = persistedStateFromConfig(first.doc);
    state.masters[0]!.port = 6390;
    const store = new ConfigFileStore(statePath, {
      render: (_c, st, server) => renderStateFile(st, server, first.state!.mainLoglevel),
    });
    await store.persist(state, { options: first.doc.config.server, cwd: dir });
    const second = await loadConfigFile(main, { fs: readOnly(main), cwd: dir });
    assert.equal(second.doc.config.masters[0]?.port, 6390);
    // The state directory must be writable.
    await assert.rejects(
      loadConfigFile(main, { fs: readOnly(dir), cwd: dir }),
      /Sentinel state file directory .* is not writable: Permission denied/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
