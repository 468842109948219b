// A lying sentinel for proxy tests: speaks enough of the Sentinel protocol for the proxy's control plane and
// reports whatever address/epoch it is told to. It can also publish arbitrary events to its PSUBSCRIBErs.
import { createServer, type Server, type Socket, type AddressInfo } from 'node:net';
import { CommandDecoder, encode, R, type Out } from '../../src/resp/index.js';

export interface FakeSentinelState {
  masterName: string;
  master: { host: string; port: number };
  configEpoch: number;
  replicas: Array<{ host: string; port: number }>;
  flags: string;
}

export class FakeSentinel {
  private server: Server;
  private readonly subscribers = new Set<Socket>();
  private readonly sockets = new Set<Socket>();
  port = 0;
  readonly host = '127.0.0.1';
  /** Commands received (name + first arg), for assertions. */
  readonly seen: string[] = [];
  /** Source address of every connection accepted, in order. */
  readonly remotes: string[] = [];

  constructor(public state: FakeSentinelState) {
    this.server = createServer((s) => this.onConn(s));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen({ host: this.host, port: 0 }, () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  publish(channel: string, payload: string): void {
    const frame = encode(R.array([R.bulk('pmessage'), R.bulk('*'), R.bulk(channel), R.bulk(payload)]), 2);
    for (const s of this.subscribers) s.write(frame);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private record(): Out {
    const st = this.state;
    return R.array(
      [
        ['name', st.masterName],
        ['ip', st.master.host],
        ['port', String(st.master.port)],
        ['runid', 'fake'],
        ['flags', st.flags],
        ['config-epoch', String(st.configEpoch)],
        ['num-slaves', String(st.replicas.length)],
        ['quorum', '2'],
      ].flatMap(([k, v]) => [R.bulk(k ?? ''), R.bulk(v ?? '')]),
    );
  }

  private onConn(s: Socket): void {
    this.sockets.add(s);
    this.remotes.push(s.remoteAddress ?? '');
    const dec = new CommandDecoder();
    s.on('error', () => undefined);
    s.on('close', () => {
      this.sockets.delete(s);
      this.subscribers.delete(s);
    });
    s.on('data', (chunk: Buffer) => {
      let cmds;
      try {
        cmds = dec.push(chunk);
      } catch {
        s.destroy();
        return;
      }
      for (const argv of cmds) {
        const name = (argv[0]?.toString() ?? '').toUpperCase();
        const sub = (argv[1]?.toString() ?? '').toUpperCase();
        this.seen.push(`${name} ${sub}`.trim());
        let out: Out;
        if (name === 'PING') out = R.pong;
        else if (name === 'AUTH') out = R.ok;
        else if (name === 'PSUBSCRIBE') {
          this.subscribers.add(s);
          argv.slice(1).forEach((p, i) => {
            s.write(encode(R.array([R.bulk('psubscribe'), R.bulk(p), R.int(i + 1)]), 2));
          });
          continue;
        } else if (name === 'SENTINEL' && sub === 'MASTER') out = this.record();
        else if (name === 'SENTINEL' && (sub === 'REPLICAS' || sub === 'SLAVES')) {
          out = R.array(
            this.state.replicas.map((r) =>
              R.array([
                R.bulk('name'),
                R.bulk(`${r.host}:${r.port}`),
                R.bulk('ip'),
                R.bulk(r.host),
                R.bulk('port'),
                R.bulk(String(r.port)),
              ]),
            ),
          );
        } else if (name === 'SENTINEL' && sub === 'GET-MASTER-ADDR-BY-NAME') {
          out = R.array([R.bulk(this.state.master.host), R.bulk(String(this.state.master.port))]);
        } else out = R.error(`ERR unknown command '${name}'`);
        s.write(encode(out, 2));
      }
    });
  }
}
