// Free loopback ports, and dialling them. The kernel picks a free port; we remember what we handed out so two
// callers in one test process never get the same one while the first has not bound it yet.
import { connect, createServer, type Socket } from 'node:net';

const handedOut = new Set<number>();

export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, host, () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    // Stay below the kernel's ephemeral range start so outbound connections rarely collide with our servers;
    // and leave room for the cluster-bus offset (+10000) that redis-server reserves in cluster mode.
    if (port > 0 && port < 55000 && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('could not find a free loopback port');
}

/** A TCP connection to host:port within `timeoutMs`; the socket comes back with no error listener of ours. */
export function dial(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const s = connect({ port, host });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`connect to ${host}:${port} timed out`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
