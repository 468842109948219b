// RESP codec benchmark: ReplyDecoder vs redis-parser on identical RESP2 reply streams (same run, interleaved
// rounds, medians), plus encoder throughput. Run: npx tsx bench/resp.ts [--rounds N] [--mb M]
import { parseArgs } from 'node:util';
import os from 'node:os';
import RedisParser from 'redis-parser';
import { CommandDecoder, R, ReplyDecoder, encode, encodeCommand, type Out } from '../src/resp/index.js';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '9' },
    mb: { type: 'string', default: '32' },
    only: { type: 'string', default: '' },
  },
});
const ROUNDS = Number(flags.rounds);
const TARGET_BYTES = Number(flags.mb) * 1024 * 1024;
const CHUNK = 64 * 1024; // a typical socket read

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

const infoText = (() => {
  const lines = ['# Server', 'redis_version:7.0.15', 'redis_mode:standalone', 'os:Linux 6.1.0 x86_64', 'arch_bits:64'];
  for (let i = 0; i < 120; i++) lines.push(`field_${i}:${(i * 7919) % 100000}`);
  lines.push('# Replication', 'role:master', 'connected_slaves:2');
  lines.push('slave0:ip=127.0.0.1,port=6380,state=online,offset=123456,lag=0');
  lines.push('slave1:ip=127.0.0.1,port=6381,state=online,offset=123456,lag=1');
  lines.push('master_replid:8f3b1c2d9e0a4b5c6d7e8f9a0b1c2d3e4f5a6b7c', 'master_repl_offset:123456');
  return lines.join('\r\n') + '\r\n';
})();

interface Workload {
  name: string;
  frame: Buffer; // one reply
}

const bulks = (n: number, size: number): Out =>
  R.array(Array.from({ length: n }, (_, i) => R.bulk(String(i).padEnd(size, 'v'))));

const workloads: Workload[] = [
  { name: 'simple +OK', frame: encode(R.ok, 2) },
  { name: 'integer :12345', frame: encode(R.int(12345), 2) },
  { name: 'small bulk (16 B)', frame: encode(R.bulk('0123456789abcdef'), 2) },
  { name: 'array of 10 bulks (10 B)', frame: encode(bulks(10, 10), 2) },
  { name: 'array of 100 bulks (20 B)', frame: encode(bulks(100, 20), 2) },
  { name: `INFO-like bulk (${Buffer.byteLength(infoText)} B)`, frame: encode(R.bulk(infoText), 2) },
  { name: 'large bulk (1 MB)', frame: encode(R.bulk('x'.repeat(1024 * 1024)), 2) },
];

/** The stream fed to both decoders: `frame` repeated to ~TARGET_BYTES, cut into 64 KB chunks. */
function stream(frame: Buffer): { chunks: Buffer[]; frames: number; bytes: number } {
  const frames = Math.max(1, Math.floor(TARGET_BYTES / frame.length));
  const perBuf = Math.max(1, Math.floor((4 * 1024 * 1024) / frame.length));
  const chunks: Buffer[] = [];
  let left = frames;
  while (left > 0) {
    const n = Math.min(left, perBuf);
    const big = Buffer.concat(Array.from({ length: n }, () => frame));
    for (let i = 0; i < big.length; i += CHUNK) chunks.push(big.subarray(i, i + CHUNK));
    left -= n;
  }
  return { chunks, frames, bytes: frames * frame.length };
}

function runOurs(chunks: Buffer[]): number {
  const d = new ReplyDecoder();
  let n = 0;
  for (const c of chunks) n += d.push(c).length;
  return n;
}

function runOursCallback(chunks: Buffer[]): number {
  let n = 0;
  const d = new ReplyDecoder({
    onReply: () => {
      n++;
    },
  });
  for (const c of chunks) d.push(c);
  return n;
}

function runTheirs(chunks: Buffer[]): number {
  let n = 0;
  const p = new RedisParser({
    returnReply: () => {
      n++;
    },
    returnError: () => {
      n++;
    },
  });
  for (const c of chunks) p.execute(c);
  return n;
}

// CPU time of this process (user + system), not wall time: the machine is shared, and another process being
// scheduled in the middle of a round should not count against whichever side happened to be running.
function time(fn: () => number, expect: number): number {
  const t0 = process.cpuUsage();
  const got = fn();
  const used = process.cpuUsage(t0);
  const ms = (used.user + used.system) / 1000;
  if (got !== expect) throw new Error(`decoded ${got} replies, expected ${expect}`);
  return ms;
}

const fmt = (x: number, d = 1): string => x.toFixed(d);
const pad = (s: string, n: number): string => s.padEnd(n);
const lpad = (s: string, n: number): string => s.padStart(n);

console.log(
  `node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu?'} x${os.cpus().length}, load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}, rounds ${ROUNDS}, ~${flags.mb} MB per workload per round, ${CHUNK / 1024} KB chunks`,
);
console.log(
  '\nDecode (RESP2 replies), median CPU time of rounds. vigil = push() returning arrays (the API in HELPERS.md);\n' +
    "vigil cb = onReply callback (redis-parser's convention). ratio = throughput vs redis-parser (>1 = vigil faster)",
);
console.log(
  `${pad('workload', 28)} ${lpad('vigil MB/s', 11)} ${lpad('vigil fr/s', 11)} ${lpad('cb MB/s', 9)} ${lpad('r-p MB/s', 9)} ${lpad('r-p fr/s', 11)} ${lpad('ratio', 6)} ${lpad('cb ratio', 8)}`,
);
for (const w of workloads) {
  if (flags.only !== '' && !w.name.includes(flags.only)) continue;
  const s = stream(w.frame);
  const sides: Array<[string, (c: Buffer[]) => number]> = [
    ['ours', runOurs],
    ['cb', runOursCallback],
    ['theirs', runTheirs],
  ];
  // Warm up all (JIT) before measuring.
  for (let i = 0; i < 2; i++) for (const [, fn] of sides) time(() => fn(s.chunks), s.frames);
  const ms: Record<string, number[]> = { ours: [], cb: [], theirs: [] };
  for (let r = 0; r < ROUNDS; r++) {
    // Rotate the order so that no side always runs right after another side's garbage.
    for (let k = 0; k < sides.length; k++) {
      const [name, fn] = sides[(r + k) % sides.length]!;
      ms[name]!.push(time(() => fn(s.chunks), s.frames));
    }
  }
  const mo = median(ms.ours!);
  const mc = median(ms.cb!);
  const mt = median(ms.theirs!);
  const mbs = (t: number): number => s.bytes / 1024 / 1024 / (t / 1000);
  const fps = (t: number): number => s.frames / (t / 1000);
  console.log(
    `${pad(w.name, 28)} ${lpad(fmt(mbs(mo)), 11)} ${lpad(fmt(fps(mo), 0), 11)} ${lpad(fmt(mbs(mc)), 9)} ${lpad(fmt(mbs(mt)), 9)} ${lpad(fmt(fps(mt), 0), 11)} ${lpad(fmt(mt / mo, 2), 6)} ${lpad(fmt(mt / mc, 2), 8)}`,
  );
}

// Commands: what the server side decodes (SET with a 32-byte value, and inline PING as typed in a terminal).
console.log('\nCommand decode (CommandDecoder), median of rounds');
for (const [name, frame] of [
  ['SET k v (multibulk, 32 B value)', encodeCommand(['SET', 'key:000001', 'v'.repeat(32)])],
  ['PING (inline)', Buffer.from('PING\r\n')],
] as Array<[string, Buffer]>) {
  const s = stream(frame);
  const run = (): number => {
    const d = new CommandDecoder();
    let n = 0;
    for (const c of s.chunks) n += d.push(c).length;
    return n;
  };
  time(run, s.frames);
  const ms = median(Array.from({ length: ROUNDS }, () => time(run, s.frames)));
  console.log(
    `${pad(name, 34)} ${lpad(fmt(s.bytes / 1024 / 1024 / (ms / 1000)), 8)} MB/s ${lpad(fmt(s.frames / (ms / 1000), 0), 10)} cmds/s`,
  );
}

// Encoding: frames a sentinel writes. Throughput of encode() producing one Buffer per frame.
const sentinelMaster = R.map(
  Array.from({ length: 20 }, (_, i): [Out, Out] => [
    R.bulk(`field-${i}`),
    i % 3 === 0 ? R.int(i * 1000) : R.bulk(`value-${i}`),
  ]),
);
const encodes: Array<[string, () => Buffer]> = [
  ['+OK', () => encode(R.ok, 2)],
  ['integer', () => encode(R.int(123456), 2)],
  ['bulk 16 B', () => encode(R.bulk('0123456789abcdef'), 2)],
  ['array of 10 bulks', () => encode(bulks(10, 10), 2)],
  ['SENTINEL MASTER-like map, RESP2', () => encode(sentinelMaster, 2)],
  ['SENTINEL MASTER-like map, RESP3', () => encode(sentinelMaster, 3)],
  ['INFO-like bulk', () => encode(R.bulk(infoText), 2)],
  ['encodeCommand SET k v', () => encodeCommand(['SET', 'key:000001', 'v'.repeat(32)])],
  [
    'encodeCommand PUBLISH (hello msg)',
    () => encodeCommand(['PUBLISH', '__sentinel__:hello', '127.0.0.1,26379,'.repeat(6)]),
  ],
];
console.log('\nEncode, median CPU time of rounds');
for (const [name, fn] of encodes) {
  const size = fn().length;
  const n = Math.max(1000, Math.floor((16 * 1024 * 1024) / size / 4));
  const round = (): number => {
    let bytes = 0;
    for (let i = 0; i < n; i++) bytes += fn().length;
    return bytes === n * size ? n : -1;
  };
  time(round, n);
  const ms = median(Array.from({ length: ROUNDS }, () => time(round, n)));
  const row = `${pad(name, 36)} ${lpad(String(size), 6)} B ${lpad(fmt((n * size) / 1024 / 1024 / (ms / 1000)), 9)} MB/s ${lpad(fmt(n / (ms / 1000), 0), 11)} frames/s`;
  console.log(row);
}
