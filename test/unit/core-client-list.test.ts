import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_KILL_IDS, clientIdsToKill } from '../../src/core/client-list.js';

const line = (id: number, name: string): string =>
  `id=${id} addr=127.0.0.1:5${id} laddr=127.0.0.1:6379 fd=8 name=${name} age=1 idle=0 flags=N db=0 cmd=client|list`;

void test('client list - sentinel links are kept, every other client is listed for the kill', () => {
  const text = [
    line(3, 'sentinel-0123abcd-cmd'),
    line(4, 'sentinel-0123abcd-pubsub'),
    line(5, ''),
    line(6, 'app'),
    line(7, 'sentinel-nothex00-cmd'),
    '',
  ].join('\n');
  assert.deepEqual(clientIdsToKill(text), ['5', '6', '7']);
  assert.deepEqual(clientIdsToKill(''), []);
});

void test('client list - hostile or oversized replies are refused (the caller falls back to CLIENT KILL TYPE)', () => {
  assert.equal(clientIdsToKill('-ERR unknown command'), null);
  assert.equal(clientIdsToKill('addr=1.2.3.4:5 name=x'), null);
  assert.equal(clientIdsToKill('xid=12 name=a'), null);
  const many = Array.from({ length: MAX_KILL_IDS + 1 }, (_, i) => line(i + 10, 'c')).join('\n');
  assert.equal(clientIdsToKill(many), null);
  assert.equal(clientIdsToKill(`id=${'9'.repeat(21)} name=a`), null);
});

void test('client list - arbitrary text never throws and only ever yields decimal ids', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
      const ids = clientIdsToKill(s);
      if (ids !== null) for (const id of ids) assert.match(id, /^\d{1,20}$/);
    }),
  );
});
