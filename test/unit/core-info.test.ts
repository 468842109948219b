import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInfo } from '../../src/core/info.js';
import { masterInfo, replicaInfo } from './core-helpers.js';

const RID = '0123456789abcdef0123456789abcdef01234567';

void test('core info - master INFO lists replicas in both formats', () => {
  const text =
    masterInfo(RID, [
      ['127.0.0.1', 6380],
      ['10.0.0.2', 6381],
    ]) + 'slave2:127.0.0.1,6390,online\r\n';
  const i = parseInfo(text);
  assert.equal(i.runId, RID);
  assert.equal(i.role, 'master');
  assert.deepEqual(i.replicas, [
    { host: '127.0.0.1', port: 6380 },
    { host: '10.0.0.2', port: 6381 },
    { host: '127.0.0.1', port: 6390 },
  ]);
  assert.equal(i.masterLinkDownMs, 0);
});

void test('core info - replica fields, link status and link-down time', () => {
  const text =
    replicaInfo(RID, ['127.0.0.1', 6379], { offset: 4242, priority: 0, linkUp: false }) +
    'master_link_down_since_seconds:7\r\n';
  const i = parseInfo(text);
  assert.equal(i.role, 'slave');
  assert.equal(i.masterHost, '127.0.0.1');
  assert.equal(i.masterPort, 6379);
  assert.equal(i.masterLinkUp, false);
  assert.equal(i.slaveReplOffset, 4242);
  assert.equal(i.slavePriority, 0);
  assert.equal(i.replicaAnnounced, 1);
  assert.equal(i.masterLinkDownMs, 7000);
});

void test('core info - a short run_id line is ignored', () => {
  assert.equal(parseInfo('run_id:abc\r\nrole:master\r\n').runId, null);
});
