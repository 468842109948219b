import { test } from 'node:test';
import assert from 'node:assert/strict';
import { limitOptions } from '../../src/server/limits.js';
import { parseConfig } from '../../src/config/parse.js';

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

void test('server limits - client-output-buffer-limit lines accumulate, one class per line as Redis allows', () => {
  const doc = parseConfig(
    [
      'sentinel monitor m 127.0.0.1 6379 2',
      'client-output-buffer-limit normal 1mb 512kb 10',
      'client-output-buffer-limit pubsub 2mb 1mb 60',
    ].join('\n'),
  );
  const o = limitOptions(doc.config.server.other);
  assert.deepEqual(o.normalOutputLimit, { hardBytes: 1024 * 1024, softBytes: 512 * 1024, softMs: 10_000 });
  assert.deepEqual(o.pubsubOutputLimit, { hardBytes: 2 * 1024 * 1024, softBytes: 1024 * 1024, softMs: 60_000 });
});
