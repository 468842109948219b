#!/usr/bin/env node
// Regenerates the Redis-captured command data (src/server/command-data.ts, src/server/command-docs-data.ts) from a
// real redis-sentinel: starts one on a free loopback port with a temp config, asks `COMMAND` and `COMMAND DOCS` in
// RESP3 (so sets, maps and simple strings are exact), and writes both files, formatted with the repo's prettier.
//
//   node scripts/gen-command-data.mjs            write the files
//   node scripts/gen-command-data.mjs --check    exit 1 if the files on disk differ from a fresh capture
//   REDIS_SENTINEL=/path/to/redis-sentinel ...   use another binary (default: redis-sentinel on PATH)
//
// Order: Redis prints its command dict, whose hash seed is random per process, so two runs print different orders.
// The wire replies must stay byte-identical, so the order is the one already committed (read back from
// command-data.ts); a command or subcommand Redis has and the file does not is appended after its siblings,
// in name order, and one the file has and Redis does not is dropped (both are reported). The output is
// therefore a function of the binary and the committed order only.
// The redis-sentinel process is killed by PID on every path (success, error, signal).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DATA_FILE = join(ROOT, 'src/server/command-data.ts');
const DOCS_FILE = join(ROOT, 'src/server/command-docs-data.ts');
const CHECK = process.argv.includes('--check');
const DEADLINE_MS = 10_000;

// ---- a minimal RESP3 reader: what COMMAND / COMMAND DOCS / HELLO can return -------------------------------------

/** Parses one RESP3 value at `pos`; returns [value, next] or null when the buffer is incomplete. */
function parse(buf, pos) {
  const eol = buf.indexOf('\r\n', pos);
  if (eol === -1) return null;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString('latin1', pos + 1, eol);
  const next = eol + 2;
  switch (type) {
    case '+':
      return [{ t: 'simple', v: line }, next];
    case '-':
      return [{ t: 'error', v: line }, next];
    case ':':
      return [{ t: 'int', v: Number(line) }, next];
    case '_':
      return [{ t: 'null' }, next];
    case '$':
    case '=': {
      const n = Number(line);
      if (n < 0) return [{ t: 'null' }, next];
      if (buf.length < next + n + 2) return null;
      let v = buf.toString('utf8', next, next + n);
      if (type === '=') v = v.slice(4); // verbatim: drop the "txt:" format prefix
      return [{ t: 'bulk', v }, next + n + 2];
    }
    case '*':
    case '~':
    case '%': {
      const n = Number(line);
      if (n < 0) return [{ t: 'null' }, next];
      const items = [];
      let p = next;
      for (let i = 0; i < (type === '%' ? 2 * n : n); i++) {
        const r = parse(buf, p);
        if (r === null) return null;
        items.push(r[0]);
        p = r[1];
      }
      if (type === '*') return [{ t: 'array', v: items }, p];
      if (type === '~') return [{ t: 'set', v: items }, p];
      const pairs = [];
      for (let i = 0; i < items.length; i += 2) pairs.push([items[i], items[i + 1]]);
      return [{ t: 'map', v: pairs }, p];
    }
    default:
      throw new Error(`unexpected RESP type byte ${JSON.stringify(type)} at ${pos}`);
  }
}

function encodeCommand(args) {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
}

/** One connection, one command at a time; each reply has a deadline. */
function client(port) {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    let waiting = null;
    const pump = () => {
      if (!waiting) return;
      const r = parse(buf, 0);
      if (r === null) return;
      buf = buf.subarray(r[1]);
      const w = waiting;
      waiting = null;
      clearTimeout(w.timer);
      w.resolve(r[0]);
    };
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      pump();
    });
    sock.once('error', (e) => {
      if (waiting) waiting.reject(e);
      else reject(e);
    });
    sock.once('connect', () =>
      resolve({
        call(...args) {
          return new Promise((res, rej) => {
            const timer = setTimeout(() => rej(new Error(`no reply to ${args.join(' ')}`)), DEADLINE_MS);
            waiting = { resolve: res, reject: rej, timer };
            sock.write(encodeCommand(args));
          });
        },
        close() {
          sock.destroy();
        },
      }),
    );
  });
}

// ---- the redis-sentinel process ---------------------------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(addr.port));
    });
  });
}

function findBinary() {
  const name = process.env.REDIS_SENTINEL ?? 'redis-sentinel';
  if (name.includes('/')) return name;
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`missing ${name}: install with \`apt-get install redis-sentinel\``);
  return r.stdout.trim();
}

let child = null;
let tmp = null;
function cleanup() {
  if (child && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  child = null;
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = null;
}
process.on('exit', cleanup);
for (const [sig, n] of [
  ['SIGINT', 2],
  ['SIGTERM', 15],
  ['SIGHUP', 1],
]) {
  process.on(sig, () => {
    cleanup();
    process.exit(128 + n);
  });
}

async function capture() {
  const bin = findBinary();
  const port = await freePort();
  tmp = mkdtempSync(join(tmpdir(), 'vigil-gen-'));
  const conf = join(tmp, 'sentinel.conf');
  writeFileSync(conf, `bind 127.0.0.1\nport ${port}\ndir ${tmp}\n`);
  let log = '';
  child = spawn(bin, [conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (d) => (log = (log + d.toString()).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.once('error', keep);
  const started = Date.now();
  let c = null;
  while (c === null) {
    if (child.exitCode !== null) throw new Error(`redis-sentinel exited (${child.exitCode}):\n${log}`);
    if (Date.now() - started > DEADLINE_MS) throw new Error(`redis-sentinel did not answer on ${port}:\n${log}`);
    try {
      c = await client(port);
      const pong = await c.call('PING');
      if (pong.t !== 'simple' || pong.v !== 'PONG') throw new Error(`PING: ${JSON.stringify(pong)}`);
    } catch {
      c?.close();
      c = null;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    const hello = await c.call('HELLO', '3');
    if (hello.t !== 'map') throw new Error(`HELLO 3: ${JSON.stringify(hello)}`);
    const version = hello.v.find(([k]) => k.v === 'version')?.[1].v ?? 'unknown';
    const mode = hello.v.find(([k]) => k.v === 'mode')?.[1].v;
    if (mode !== 'sentinel') throw new Error(`${bin} runs in mode ${mode}, not sentinel`);
    const commands = await c.call('COMMAND');
    const docs = await c.call('COMMAND', 'DOCS');
    return { version, commands, docs };
  } finally {
    c.close();
    cleanup();
  }
}

// ---- RESP values -> the tables' shapes --------------------------------------------------------------------------

function expect(cond, what) {
  if (!cond) throw new Error(`unexpected COMMAND reply: ${what}`);
}

/** One COMMAND INFO entry -> CommandSpec. The table has no key fields, so any key data is an error here. */
function toSpec(node) {
  expect(node.t === 'array' && node.v.length === 10, 'an entry is not a 10-element array');
  const [name, arity, flags, first, last, step, cats, tips, keySpecs, subs] = node.v;
  expect(name.t === 'bulk' && arity.t === 'int', 'name/arity');
  expect(
    [first, last, step].every((n) => n.t === 'int' && n.v === 0),
    `${name.v} has key positions`,
  );
  expect((keySpecs.t === 'set' || keySpecs.t === 'array') && keySpecs.v.length === 0, `${name.v} has key specs`);
  expect(flags.t === 'set' && flags.v.every((f) => f.t === 'simple'), `${name.v} flags`);
  expect(cats.t === 'set' && cats.v.every((f) => f.t === 'simple' && f.v.startsWith('@')), `${name.v} categories`);
  expect(tips.t === 'set' && tips.v.every((f) => f.t === 'bulk'), `${name.v} tips`);
  const spec = {
    name: name.v,
    arity: arity.v,
    flags: flags.v.map((f) => f.v),
    categories: cats.v.map((f) => f.v.slice(1)),
    tips: tips.v.map((f) => f.v),
  };
  if (subs.t === 'array') spec.subcommands = subs.v.map(toSpec);
  else expect(subs.t === 'set' && subs.v.length === 0, `${name.v} subcommands`);
  return spec;
}

/** RESP value -> DocNode (string = bulk, number = integer, array, {s}, {set}, {map}). */
function toDoc(node) {
  switch (node.t) {
    case 'bulk':
      return node.v;
    case 'int':
      return node.v;
    case 'simple':
      return { s: node.v };
    case 'array':
      return node.v.map(toDoc);
    case 'set':
      return { set: node.v.map(toDoc) };
    case 'map':
      return { map: node.v.map(([k, v]) => [toDoc(k), toDoc(v)]) };
    default:
      throw new Error(`COMMAND DOCS holds a ${node.t}, which DocNode cannot express`);
  }
}

// ---- order ------------------------------------------------------------------------------------------------------

/** The committed order: every `name: '...'` in command-data.ts, depth-first (containers before their subs). */
function committedOrder() {
  let text = '';
  try {
    text = readFileSync(DATA_FILE, 'utf8');
  } catch {
    return new Map();
  }
  const rank = new Map();
  for (const m of text.matchAll(/\bname: '([^']+)'/g)) if (!rank.has(m[1])) rank.set(m[1], rank.size);
  return rank;
}

const changes = [];
function ordered(items, nameOf, rank) {
  const known = items.filter((x) => rank.has(nameOf(x))).sort((a, b) => rank.get(nameOf(a)) - rank.get(nameOf(b)));
  const fresh = items.filter((x) => !rank.has(nameOf(x))).sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : 1));
  for (const x of fresh) changes.push(`+ ${nameOf(x)}`);
  return [...known, ...fresh];
}

function orderSpecs(specs, rank) {
  return ordered(specs, (s) => s.name, rank).map((s) =>
    s.subcommands ? { ...s, subcommands: orderSpecs(s.subcommands, rank) } : s,
  );
}

/** Reorders a top-level docs entry's `subcommands` map the same way. */
function orderDoc(doc, rank) {
  if (!doc || typeof doc !== 'object' || !('map' in doc)) return doc;
  return {
    map: doc.map.map(([k, v]) =>
      k === 'subcommands' && v && typeof v === 'object' && 'map' in v
        ? [k, { map: ordered(v.map, ([sk]) => sk, rank) }]
        : [k, v],
    ),
  };
}

// ---- output -----------------------------------------------------------------------------------------------------

/** A JS literal (single quotes, bare keys); prettier does the layout. */
function lit(v) {
  if (typeof v === 'string')
    return `'${v.replace(/[\\']/g, (c) => `\\${c}`).replace(/[\n\r\t]/g, (c) => JSON.stringify(c).slice(1, -1))}'`;
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return `[${v.map(lit).join(', ')}]`;
  return `{ ${Object.entries(v)
    .map(([k, x]) => `${/^[a-z_]\w*$/i.test(k) ? k : lit(k)}: ${lit(x)}`)
    .join(', ')} }`;
}

async function format(source, file) {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(source, { ...options, filepath: file });
}

async function main() {
  const { version, commands, docs } = await capture();
  expect(commands.t === 'array', 'COMMAND is not an array');
  expect(docs.t === 'map', 'COMMAND DOCS is not a map');
  const rank = committedOrder();
  const specs = orderSpecs(commands.v.map(toSpec), rank);
  const seen = new Set(specs.flatMap((s) => [s.name, ...(s.subcommands ?? []).map((x) => x.name)]));
  for (const name of rank.keys()) if (!seen.has(name)) changes.push(`- ${name}`);
  const docEntries = ordered(
    docs.v.map(([k, v]) => [toDoc(k), orderDoc(toDoc(v), rank)]),
    ([k]) => k,
    rank,
  );
  const header = (what) =>
    `// GENERATED by scripts/gen-command-data.mjs from redis-sentinel ${version}'s ${what} (RESP3, so flags,\n` +
    `// categories, tips, sets and maps are exact). Do not edit by hand: run \`node scripts/gen-command-data.mjs\`.\n` +
    `// Order = the order one redis-sentinel process printed (its dict order, random per process), kept fixed so the\n` +
    `// replies stay byte-identical; the generator appends new names after their siblings.\n`;
  const dataSrc =
    header('`COMMAND`') +
    `// None of these commands has key specs or key positions (the generator fails if one does).\n` +
    `import type { CommandSpec } from './command-table.js';\n\n` +
    `export const SENTINEL_COMMANDS: readonly CommandSpec[] = ${lit(specs)};\n`;
  const docsSrc =
    header('`COMMAND DOCS`') +
    `// Compact form decoded by command-table.ts: string = bulk, number = integer, array = array, {s} = simple\n` +
    `// string, {set} = set, {map} = map. One entry per top-level command.\n` +
    `import type { DocNode } from './command-table.js';\n\n` +
    `export const SENTINEL_COMMAND_DOCS: ReadonlyArray<readonly [string, DocNode]> = ${lit(docEntries)};\n`;
  const out = [
    [DATA_FILE, await format(dataSrc, DATA_FILE)],
    [DOCS_FILE, await format(docsSrc, DOCS_FILE)],
  ];
  for (const c of changes) console.log(c);
  let differ = false;
  for (const [file, text] of out) {
    let old = '';
    try {
      old = readFileSync(file, 'utf8');
    } catch {
      // new file
    }
    if (old === text) continue;
    differ = true;
    if (CHECK) console.log(`${file}: differs from a fresh capture`);
    else {
      writeFileSync(file, text);
      console.log(`wrote ${file}`);
    }
  }
  if (!differ) console.log(`up to date with redis-sentinel ${version}`);
  if (CHECK && differ) process.exitCode = 1;
}

main().catch((e) => {
  cleanup();
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
