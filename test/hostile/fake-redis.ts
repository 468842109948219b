// A scripted hostile redis-server for the hostile layer: a node net server that answers a sentinel's handshake
// and monitoring commands (PING, INFO, SUBSCRIBE, ...) like a master, except where the test swaps in a poisoned
// reply. Records how many connections it saw closed, so a test can tell whether the sentinel dropped the link.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { CommandDecoder } from '../../src/resp/index.js';

export interface FakeRedisOptions {
  /** Bytes (or a writer) sent in reply to INFO; default: a plain master INFO. */
  info?: (sock: net.Socket) => void;
}

export class FakeRedis {
  readonly sockets = new Set<net.Socket>();
  closedAfterPoison = 0;
  infoRequests = 0;
  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(opts: FakeRedisOptions = {}): Promise<FakeRedis> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const fake = new FakeRedis(server, port);
    server.on('connection', (sock) => {
      fake.sockets.add(sock);
      let poisoned = false;
      const dec = new CommandDecoder();
      sock.on('error', () => {});
      sock.on('close', () => {
        fake.sockets.delete(sock);
        if (poisoned) fake.closedAfterPoison++;
      });
      sock.on('data', (chunk) => {
        let cmds: Buffer[][];
        try {
          cmds = dec.push(chunk);
        } catch {
          sock.destroy();
          return;
        }
        for (const c of cmds) {
          const name = (c[0]?.toString() ?? '').toUpperCase();
          if (name === 'PING') sock.write('+PONG\r\n');
          else if (name === 'SUBSCRIBE')
            sock.write(`*3\r\n$9\r\nsubscribe\r\n$${c[1]!.length}\r\n${c[1]!.toString()}\r\n:1\r\n`);
          else if (name === 'INFO') {
            fake.infoRequests++;
            if (opts.info) {
              poisoned = true;
              opts.info(sock);
            } else sock.write(bulk(masterInfo([])));
          } else if (name === 'PUBLISH') sock.write(':0\r\n');
          else sock.write('+OK\r\n');
        }
      });
    });
    return fake;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export function bulk(s: string): string {
  return `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
}

export function masterInfo(replicas: Array<[string, number]>, extra = ''): string {
  const lines = ['# Server', `run_id:${'e'.repeat(40)}`, 'redis_version:7.0.15', '# Replication', 'role:master'];
  lines.push(`connected_slaves:${replicas.length}`);
  replicas.forEach(([ip, port], i) => lines.push(`slave${i}:ip=${ip},port=${port},state=online,offset=1,lag=0`));
  lines.push('master_repl_offset:1');
  return lines.join('\r\n') + '\r\n' + extra;
}

/** Resident set size of a process in MB (Linux /proc). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
