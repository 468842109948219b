// The open-by-default start-up warning (issue 12): when a sentinel takes commands from anyone who can reach it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openByDefaultWarning } from '../../src/cli/sentinel.js';

const open = { enabled: true, nopass: true };

void test('open warning - every interface, protected-mode off, passwordless default user', () => {
  for (const bind of [[], ['*'], ['*', '-::*'], ['0.0.0.0'], ['::'], ['127.0.0.1', '-*']]) {
    const w = openByDefaultWarning(bind, false, open, 26379);
    assert.match(
      w ?? '',
      /^WARNING: .*port 26379.*Fix: add 'bind 127\.0\.0\.1 <private-ip>' or 'requirepass <password>'/,
    );
    assert.ok(!(w ?? '').includes('\n'), 'one line');
  }
});

void test('open warning - silent when bound to specific addresses, protected, or password-protected', () => {
  assert.equal(openByDefaultWarning(['127.0.0.1'], false, open, 26379), null);
  assert.equal(openByDefaultWarning(['127.0.0.1', '::1'], false, open, 26379), null);
  assert.equal(openByDefaultWarning([], true, open, 26379), null);
  assert.equal(openByDefaultWarning([], false, { enabled: true, nopass: false }, 26379), null);
  assert.equal(openByDefaultWarning([], false, { enabled: false, nopass: true }, 26379), null);
});
