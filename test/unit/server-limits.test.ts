import { test } from 'node:test';
import assert from 'node:assert/strict';
import { limitOptions } from '../../src/server/limits.js';

void test('server limits - client limits from generic directives', () => {
  assert.deepEqual(
    limitOptions({
      'client-query-buffer-limit': ['2mb'],
      'proto-max-bulk-len': ['1k'],
      'client-output-buffer-limit': [
        'normal',
        '1mb',
        '512kb',
        '10',
        'replica',
        '256mb',
        '64mb',
        '60',
        'pubsub',
        '0',
        '0',
        '0',
      ],
    }),
    {
      clientQueryBufferLimitBytes: 2 * 1024 * 1024,
      protoMaxBulkLenBytes: 1000,
      normalOutputLimit: { hardBytes: 1024 * 1024, softBytes: 512 * 1024, softMs: 10_000 },
      pubsubOutputLimit: { hardBytes: 0, softBytes: 0, softMs: 0 },
    },
  );
  assert.deepEqual(limitOptions({}), {});
  assert.deepEqual(limitOptions({ 'client-output-buffer-limit': ['normal', 'x', '0', '0'] }), {});
});
