// Differential: authentication rules of a password-protected sentinel (`requirepass`), real redis-sentinel 7.0.15
// vs ours. Each side: one redis-server master (with the same requirepass) and one sentinel with quorum 1 and no
// peers — auth is a per-connection concern, peers add nothing. Replies are compared with their RESP types kept.
// VIGIL_DIFF_IMPL=redis runs real-vs-real (proves the script).
import { describe, test, before, after } from 'node:test';
import { assertSame } from '../harness/compare.js';
import { Harness, missingBinaries, type SentinelImpl } from '../harness/index.js';
import { startFleet, fleetLabels, type Fleet } from '../harness/fleet.js';
import { normalise, type Labels, type Shape } from '../harness/normalise.js';
import { WireClient } from '../harness/wire.js';

const CANDIDATE: SentinelImpl = process.env.VIGIL_DIFF_IMPL === 'redis' ? 'redis' : 'vigil';
const PW = 'sentpw';

interface Side {
  impl: SentinelImpl;
  fleet: Fleet;
  labels: Labels;
}

async function transcript(side: Side, script: string[][]): Promise<Array<[string, Shape]>> {
  const c = await WireClient.connect(side.fleet.sentinels[0]!.port);
  try {
    const out: Array<[string, Shape]> = [];
    for (const args of script) {
      const n = args[0]?.toUpperCase() === 'SUBSCRIBE' ? Math.max(1, args.length - 1) : 1;
      c.send(...args);
      for (let i = 0; i < n; i++) out.push([args.join(' '), normalise(await c.next(), side.labels)]);
    }
    return out;
  } finally {
    c.close();
  }
}

void describe(
  'differential - sentinel authentication vs redis-sentinel 7.0.15',
  { skip: missingBinaries('redis-server', 'redis-sentinel') },
  () => {
    const h = new Harness();
    after(() => h.cleanup());
    const sides: Partial<Record<'ref' | 'cand', Side>> = {};
    let startError: unknown;

    before(async () => {
      const startSide = async (impl: SentinelImpl): Promise<Side> => {
        const fleet = await startFleet(h, { impls: [impl], replicas: 0, quorum: 1, password: PW });
        return { impl, fleet, labels: fleetLabels(fleet) };
      };
      try {
        sides.ref = await startSide('redis');
        sides.cand = await startSide(CANDIDATE);
      } catch (err) {
        startError = err;
      }
    });

    async function same(script: string[][]): Promise<void> {
      if (startError) throw startError instanceof Error ? startError : new Error(String(startError));
      const { ref, cand } = sides;
      if (!ref || !cand) throw new Error('fleets not started');
      const [a, b] = await Promise.all([transcript(ref, script), transcript(cand, script)]);
      assertSame(b, a, `${cand.impl} (actual) differs from redis-sentinel (expected)`);
    }

    void test('auth - commands before AUTH are refused with NOAUTH', async () => {
      await same([
        ['PING'],
        ['SENTINEL', 'get-master-addr-by-name', 'mymaster'],
        ['SENTINEL', 'MASTERS'],
        ['INFO'],
        ['ROLE'],
        ['CLIENT', 'SETNAME', 'x'],
        ['SUBSCRIBE', '+switch-master'],
        ['PUBLISH', '__sentinel__:hello', 'x'],
        ['FOO'],
        ['HELLO', '3'],
        ['HELLO', '2'],
      ]);
    });

    void test('auth - wrong passwords and then the right one', async () => {
      await same([
        ['AUTH', 'wrong'],
        ['AUTH', 'default', 'wrong'],
        ['AUTH', 'nobody', PW],
        ['AUTH'],
        ['AUTH', 'a', 'b', 'c'],
        ['PING'],
        ['AUTH', PW],
        ['PING'],
        ['SENTINEL', 'get-master-addr-by-name', 'mymaster'],
        ['AUTH', 'wrong'],
        ['PING'],
      ]);
    });

    void test('auth - AUTH default <pw> (two-argument form, ioredis 5 / node-redis)', async () => {
      await same([
        ['AUTH', 'default', PW],
        ['SENTINEL', 'SENTINELS', 'mymaster'],
        ['SENTINEL', 'MASTER', 'mymaster'],
      ]);
    });

    void test('auth - HELLO 3 AUTH (ioredis 6 / node-redis 6 / go-redis / rueidis handshake)', async () => {
      await same([
        ['HELLO', '3', 'AUTH', 'default', 'wrong'],
        ['HELLO', '3', 'AUTH', 'nobody', PW],
        ['HELLO', '3', 'AUTH', 'default'],
        ['PING'],
        ['HELLO', '3', 'AUTH', 'default', PW, 'SETNAME', 'client-a'],
        ['CLIENT', 'GETNAME'],
        ['SENTINEL', 'get-master-addr-by-name', 'mymaster'],
        ['SENTINEL', 'SENTINELS', 'mymaster'],
        ['HELLO', '2', 'AUTH', 'default', 'wrong'],
        ['PING'],
      ]);
    });

    void test('auth - HELLO 2 AUTH and a RESP2 session', async () => {
      await same([
        ['HELLO', '2', 'AUTH', 'default', PW],
        ['SENTINEL', 'MASTERS'],
        ['SUBSCRIBE', '+switch-master'],
        ['PING'],
        ['SENTINEL', 'MASTERS'],
      ]);
    });
  },
);
