// What parseInfo returns must not keep the INFO text alive: an Instance keeps its run id for the life of the
// process, and a V8 slice of 13 characters or more is a view of its parent, so a run id cut out of a ~5 KB reply
// kept that reply (1 MB at 200 masters). Checked on a heap snapshot: after the text is dropped, it must not be in
// the heap while the parsed values still are; the control (a plain slice kept alive) shows the check can see it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { getHeapSnapshot } from 'node:v8';
import { parseInfo } from '../../src/core/info.js';

async function heapText(): Promise<string> {
  const chunks: string[] = [];
  for await (const c of getHeapSnapshot()) chunks.push(String(c));
  return chunks.join('');
}

/**
 * An INFO text whose first line carries `marker` (so that no other heap string contains the marker followed by
 * the line ending), and long values on every line whose value may be kept.
 */
function infoText(marker: string): string {
  return (
    `# Server-${marker}\r\nredis_version:7.0.15\r\n` +
    `run_id:${randomBytes(20).toString('hex')}\r\n` +
    '# Replication\r\nrole:slave\r\nmaster_host:a-long-master-hostname.example\r\nmaster_port:6379\r\n' +
    'slave0:ip=a-long-replica-hostname.example,port=6380,state=online,offset=1,lag=0\r\n' +
    'x'.repeat(4000) +
    '\r\n'
  );
}

/** Whether a string that contains the marker followed by the first line's ending is in the heap. */
async function textInHeap(marker: string): Promise<boolean> {
  return (await heapText()).includes(`${marker}\\r\\nredis_version`);
}

void test('the values parseInfo returns do not retain the INFO text', async () => {
  const marker = randomBytes(12).toString('hex');
  let text: string | null = infoText(marker);
  const parsed = parseInfo(text);
  text = null;
  assert.equal(parsed.runId?.length, 40);
  assert.equal(parsed.masterHost, 'a-long-master-hostname.example');
  assert.equal(parsed.replicas[0]?.host, 'a-long-replica-hostname.example');
  assert.equal(await textInHeap(marker), false, 'the INFO text is still in the heap');
  assert.ok(parsed.runId); // kept alive until after the snapshot
});

void test('control: a plain slice of the text does retain it (the check can fail)', async () => {
  const marker = randomBytes(12).toString('hex');
  let text: string | null = infoText(marker);
  text.indexOf('run_id:'); // flattens the concatenation, as parseInfo's scan does
  const at = text.indexOf('run_id:') + 7;
  const kept = text.slice(at, at + 40);
  text = null;
  assert.equal(await textInHeap(marker), true, 'the control slice did not retain its parent');
  assert.equal(kept.length, 40);
});
