import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from '../harness/index.js';
import {
  addrOf,
  call,
  failoverAccepted,
  masterAddr,
  record,
  role,
  sentinelsOf,
  startCluster,
  waitConverged,
  waitDiscovered,
} from './sentinel-helpers.js';

void describe('sentinel - mixed group with real redis-sentinel', () => {
  const h = new Harness();
  after(() => h.cleanup());

  void test('sentinel - vigil and redis-sentinel discover each other and fail over together', async () => {
    const cl = await startCluster(h, { impls: ['redis', 'vigil', 'redis'] });
    await waitDiscovered(cl);
    const vigil = cl.sentinels[1]!;
    const peers = await sentinelsOf(cl.sentinels[0]!);
    assert.ok(
      peers.some((p) => Number(p.port) === vigil.port),
      'redis-sentinel knows the vigil sentinel',
    );
    await cl.master.kill('SIGKILL');
    const replicaAddrs = cl.replicas.map(addrOf);
    const newAddr = await h.waitFor(
      async () => {
        const a = await masterAddr(vigil);
        return replicaAddrs.includes(a) ? a : null;
      },
      { name: 'vigil follows the failover', timeoutMs: 20000, intervalMs: 50 },
    );
    await waitConverged(cl, newAddr, cl.sentinels, 20000);
    assert.equal(await role(Number(newAddr.split(':')[1])), 'master');
    // Epochs agree across implementations.
    const epochs = await Promise.all(
      cl.sentinels.map(async (s) => record(await call(s.port, 'SENTINEL', 'MASTER', 'mymaster'))['config-epoch']),
    );
    assert.equal(new Set(epochs).size, 1, `config epochs ${epochs.join(',')}`);
  });

  void test('sentinel - vigil leads a manual failover that redis-sentinels accept', async () => {
    const cl = await startCluster(h, { impls: ['redis', 'vigil', 'redis'] });
    await waitDiscovered(cl);
    const vigil = cl.sentinels[1]!;
    await failoverAccepted(h, vigil.port);
    const newAddr = await h.waitFor(
      async () => {
        const a = await masterAddr(cl.sentinels[0]!);
        return a !== addrOf(cl.master) ? a : null;
      },
      { name: 'redis-sentinel adopts the new master from vigil hello', timeoutMs: 10000, intervalMs: 50 },
    );
    await waitConverged(cl, newAddr, cl.sentinels, 20000);
    assert.equal(await role(Number(newAddr.split(':')[1])), 'master');
  });
});
