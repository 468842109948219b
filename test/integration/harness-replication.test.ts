// Foundation check: two real redis-servers, one made a replica of the other, replication observed through our
// own RESP codec over raw sockets.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Harness, missingBinaries, RespClient } from '../harness/index.js';
import { ReplyDecoder, encodeCommand, mapGet, type Reply } from '../../src/resp/index.js';

function infoField(info: string, field: string): string | undefined {
  const line = info.split('\r\n').find((l) => l.startsWith(`${field}:`));
  return line?.slice(field.length + 1);
}

void describe('harness - real redis-server replication', { skip: missingBinaries('redis-server') }, () => {
  const h = new Harness();
  after(() => h.cleanup());

  void test('harness - replica follows master, seen through our codec', async () => {
    const master = await h.redis();
    const replica = await h.redis({ args: ['--replicaof', master.host, String(master.port)] });
    const m = await master.client();
    const r = await replica.client(3);

    await h.waitFor(async () => infoField(String(await r.call('INFO', 'replication')), 'master_link_status') === 'up', {
      name: 'replica link up',
      timeoutMs: 10000,
    });
    assert.equal(await m.call('SET', 'greeting', 'hello\r\nworld'), 'OK');
    assert.equal(await m.call('INCRBY', 'n', 41), 41);
    await h.waitFor(async () => (await r.call('GET', 'greeting')) === 'hello\r\nworld', {
      name: 'key replicated',
      timeoutMs: 10000,
    });
    assert.equal(await r.call('GET', 'n'), '41');

    // RESP3 map reply decoded by our codec: HELLO 3 on the replica connection.
    const hello = await r.call('HELLO', '3');
    assert.equal(mapGet(hello, 'proto'), 3);
    assert.equal(mapGet(hello, 'role'), 'replica');

    // A write on the replica is refused with Redis's READONLY error, decoded as an error value.
    const ro = await r.call('SET', 'x', '1');
    assert.ok(ro instanceof Error && /^READONLY/.test(ro.message), `got ${String(ro)}`);

    // ROLE on the master lists the replica with its port (array of arrays, integers decoded as numbers).
    const role = (await m.call('ROLE')) as Reply[];
    assert.equal(role[0], 'master');
    const replicas = role[2] as Reply[][];
    assert.ok(
      replicas.some((e) => e[1] === String(replica.port)),
      JSON.stringify(role),
    );
  });

  void test('harness - pipelined replies split at arbitrary boundaries decode in order', async () => {
    const master = await h.redis();
    const sock = connect({ port: master.port, host: master.host });
    sock.on('error', () => {});
    const dec = new ReplyDecoder();
    const got: Reply[] = [];
    const n = 500;
    const done = new Promise<void>((resolve) => {
      sock.on('data', (chunk) => {
        // Feed the decoder in 7-byte slices to exercise partial frames.
        for (let i = 0; i < chunk.length; i += 7) got.push(...dec.push(chunk.subarray(i, i + 7)));
        if (got.length >= n) resolve();
      });
    });
    const batch = [];
    for (let i = 0; i < n; i++) batch.push(encodeCommand(['ECHO', `v${i}`]));
    sock.write(Buffer.concat(batch));
    await done;
    sock.destroy();
    assert.deepEqual(
      got,
      Array.from({ length: n }, (_, i) => `v${i}`),
    );
    const c = await RespClient.connect(master.port);
    assert.equal(await c.call('PING'), 'PONG');
    c.close();
  });
});
