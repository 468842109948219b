// One DataPlane (--mux when MUX=1, native pump THREADS threads, default 2; 0 = forwarded in JavaScript) from the tree at $TREE, routed at 127.0.0.1:$REDIS_PORT;
// prints "PORT n". Used by bench/proxy/ab-trees.sh to compare two checkouts of the proxy on the same redis.
const root = process.env.TREE!;
const { DataPlane } = await import(`${root}/src/proxy/dataplane.ts`);
const dp = new DataPlane({
  masterName: 'm',
  listen: { host: '127.0.0.1', port: 0 },
  maxHoldMs: 5000,
  connectTimeoutMs: 1000,
  redialDelayMs: 50,
  idleTimeoutMs: 0,
  keepAliveMs: 0,
  mux: process.env.MUX === '1',
  pumpThreads: Number(process.env.THREADS ?? 2),
  onLog: () => undefined,
});
const { port } = await dp.listen();
dp.setRoute({ host: '127.0.0.1', port: Number(process.env.REDIS_PORT) });
dp.setGate(true, 'bench');
console.log(`PORT ${port}`);
