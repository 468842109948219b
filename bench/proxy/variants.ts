// Micro-benchmark of L4 forwarding variants in Node (no control plane), to choose the data-plane technique:
//   manual  'data' -> write() with pause/resume back-pressure (what src/proxy/dataplane.ts does)
//   pipe    socket.pipe() both ways
//   nodelay-off  manual, Nagle left on
//   hwm     manual with highWaterMark 256 KiB on both sockets
// Usage: npx tsx bench/proxy/variants.ts [--n 50000]   (starts its own redis-server, kills it by PID)
import { createServer, connect, type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Harness } from '../../test/harness/index.js';

const { values } = parseArgs({ options: { n: { type: 'string' }, rounds: { type: 'string' } } });
const N = Number(values.n ?? 50000);
const ROUNDS = Number(values.rounds ?? 3);

type Mode = 'manual' | 'pipe' | 'nodelay-off' | 'hwm' | 'onread' | 'mux';

// ---- 'mux' prototype: every client's complete requests go over ONE upstream connection, written once per
// event-loop turn; replies are split by frame and returned in order. Benchmark only (no MULTI/SUBSCRIBE/...).

/** End offset of the RESP2 frame starting at `at`, or -1 if incomplete. */
function frameEnd(b: Buffer, at: number): number {
  let pending = 1;
  let i = at;
  while (pending > 0) {
    if (i >= b.length) return -1;
    const t = b[i]!;
    const nl = b.indexOf(10, i);
    if (nl === -1) return -1;
    pending--;
    if (t === 36 /* $ */) {
      const len = parseInt(b.toString('latin1', i + 1, nl - 1), 10);
      i = nl + 1;
      if (len >= 0) {
        i += len + 2;
        if (i > b.length) return -1;
      }
    } else if (t === 42 /* * */) {
      const n = parseInt(b.toString('latin1', i + 1, nl - 1), 10);
      i = nl + 1;
      if (n > 0) pending += n;
    } else {
      i = nl + 1; // + - : and inline commands
    }
  }
  return i;
}

function startMux(upstreamPort: number): Promise<number> {
  const up = connect({ host: '127.0.0.1', port: upstreamPort, noDelay: true });
  up.on('error', () => undefined);
  const queue: Array<{ c: Socket; n: number }> = [];
  let out: Buffer[] = [];
  let flushScheduled = false;
  let rbuf: Buffer | null = null;
  const flush = (): void => {
    flushScheduled = false;
    const chunks = out;
    out = [];
    if (chunks.length === 1) up.write(chunks[0]!);
    else if (chunks.length > 1) {
      up.cork();
      for (const c of chunks) up.write(c);
      up.uncork();
    }
  };
  up.on('data', (chunk: Buffer) => {
    let b = rbuf ? Buffer.concat([rbuf, chunk]) : chunk;
    rbuf = null;
    let at = 0;
    while (at < b.length) {
      const head = queue[0];
      if (!head) break;
      let end = at;
      let k = 0;
      while (k < head.n) {
        const e = frameEnd(b, end);
        if (e === -1) break;
        end = e;
        k++;
      }
      if (end > at) head.c.write(b.subarray(at, end));
      head.n -= k;
      at = end;
      if (head.n === 0) queue.shift();
      else break;
    }
    if (at < b.length) rbuf = b.subarray(at);
    b = chunk;
  });
  const server = createServer({ noDelay: true }, (client: Socket) => {
    let cbuf: Buffer | null = null;
    client.on('error', () => undefined);
    client.on('data', (chunk: Buffer) => {
      const b = cbuf ? Buffer.concat([cbuf, chunk]) : chunk;
      cbuf = null;
      let at = 0;
      let n = 0;
      for (;;) {
        const e = frameEnd(b, at);
        if (e === -1) break;
        at = e;
        n++;
      }
      if (at < b.length) cbuf = b.subarray(at);
      if (n === 0) return;
      const last = queue[queue.length - 1];
      if (last && last.c === client) last.n += n;
      else queue.push({ c: client, n });
      out.push(at === b.length ? b : b.subarray(0, at));
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

function startVariant(mode: Mode, upstreamPort: number): Promise<number> {
  if (mode === 'mux') return startMux(upstreamPort);
  const noDelay = mode !== 'nodelay-off';
  const hwm = mode === 'hwm' ? 256 * 1024 : undefined;
  const server = createServer(
    { noDelay, pauseOnConnect: true, ...(hwm ? { highWaterMark: hwm } : {}) },
    (client: Socket) => {
      const up =
        mode === 'onread'
          ? connect({
              host: '127.0.0.1',
              port: upstreamPort,
              noDelay,
              // Upstream reads land in one reusable buffer and skip the Readable machinery; copy before write().
              onread: {
                buffer: Buffer.allocUnsafe(64 * 1024),
                callback: (n: number, buf: Uint8Array): boolean => {
                  client.write(Buffer.from(buf.subarray(0, n)));
                  return true;
                },
              },
            })
          : connect({ host: '127.0.0.1', port: upstreamPort, noDelay, ...(hwm ? { highWaterMark: hwm } : {}) });
      client.on('error', () => up.destroy());
      up.on('error', () => client.destroy());
      client.on('close', () => up.destroy());
      up.on('close', () => client.destroy());
      up.once('connect', () => {
        if (mode === 'pipe') {
          client.pipe(up);
          up.pipe(client);
        } else if (mode === 'onread') {
          client.on('data', (c: Buffer) => {
            if (!up.write(c)) client.pause();
          });
          up.on('drain', () => client.resume());
        } else {
          client.on('data', (c: Buffer) => {
            if (!up.write(c)) client.pause();
          });
          up.on('drain', () => client.resume());
          up.on('data', (c: Buffer) => {
            if (!client.write(c)) up.pause();
          });
          client.on('drain', () => up.resume());
        }
        client.resume();
      });
    },
  );
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

function bench(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '--csv', ...args]);
    let out = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.on('error', reject);
    c.on('exit', () =>
      resolve(
        out
          .split('\n')
          .filter((l) => l && !l.startsWith('"test"'))
          .map((l) => {
            const x = l.split(',').map((s) => s.replace(/"/g, ''));
            return `${x[0]}=${Math.round(Number(x[1]))} p99=${x[6]}`;
          })
          .join(' '),
      ),
    );
  });
}

async function main(): Promise<void> {
  const h = new Harness();
  try {
    const redis = await h.redis();
    const modes: Mode[] = (process.env.MODES?.split(',') as Mode[] | undefined) ?? [
      'manual',
      'pipe',
      'nodelay-off',
      'hwm',
      'onread',
    ];
    const ports = new Map<Mode, number>();
    for (const m of modes) ports.set(m, await startVariant(m, redis.port));
    const loads = [
      ['-t', 'set,get', '-n', String(N), '-c', '50'],
      ['-t', 'set,get', '-n', String(N * 5), '-c', '50', '-P', '16'],
      ['-t', 'ping', '-c', '1', '-n', String(N / 4)],
    ];
    for (const load of loads) {
      process.stdout.write(`load: ${load.join(' ')}\n`);
      for (let r = 0; r < ROUNDS; r++) {
        for (let i = 0; i < modes.length; i++) {
          const m = modes[(i + r) % modes.length]!;
          const before = process.cpuUsage();
          const line = await bench(ports.get(m)!, load);
          const d = process.cpuUsage(before);
          const reqs = Number(load[load.indexOf('-n') + 1]) * 2;
          const cpu = (((d.user + d.system) / 1e6) * 100000) / reqs;
          process.stdout.write(`  r${r + 1} ${m.padEnd(11)} ${line} cpu-s/100k=${cpu.toFixed(2)}\n`);
        }
      }
    }
  } finally {
    await h.cleanup();
  }
  process.exit(0);
}

void main();
