// parseInfo scans the INFO text in one pass (no string per line). It must return exactly what the split-per-line
// parser it replaced returned: that parser is kept here as the reference, and fast-check compares the two on texts
// built from INFO's own keys, near-miss keys, odd separators and line endings, plus a real redis-server INFO.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseInfo, type ParsedInfo } from '../../src/core/info.js';
import { masterInfo, replicaInfo } from './core-helpers.js';

function reference(text: string): ParsedInfo {
  const out: ParsedInfo = {
    runId: null,
    role: null,
    replicas: [],
    masterLinkDownMs: 0,
    masterHost: null,
    masterPort: null,
    masterLinkUp: null,
    slavePriority: null,
    slaveReplOffset: null,
    masterReplOffset: null,
    replicaAnnounced: null,
  };
  for (const rawLine of text.split('\n')) {
    const l = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (l.length >= 47 && l.startsWith('run_id:')) {
      out.runId = l.slice(7, 47);
      continue;
    }
    if (l.startsWith('slave') && /^slave\d+:/.test(l)) {
      const body = l.slice(l.indexOf(':') + 1);
      let host: string | undefined;
      let port: string | undefined;
      if (body.includes('ip=')) {
        for (const kv of body.split(',')) {
          const eq = kv.indexOf('=');
          if (eq === -1) continue;
          const k = kv.slice(0, eq);
          if (k === 'ip') host = kv.slice(eq + 1);
          else if (k === 'port') port = kv.slice(eq + 1);
        }
      } else {
        const parts = body.split(',');
        host = parts[0];
        port = parts[1];
      }
      if (host !== undefined && port !== undefined && /^\d+$/.test(port)) {
        out.replicas.push({ host, port: Number(port) });
      }
      continue;
    }
    const colon = l.indexOf(':');
    if (colon === -1) continue;
    const key = l.slice(0, colon);
    const val = l.slice(colon + 1);
    switch (key) {
      case 'master_link_down_since_seconds':
        out.masterLinkDownMs = toInt(val) * 1000;
        break;
      case 'role':
        if (val === 'master') out.role = 'master';
        else if (val === 'slave') out.role = 'slave';
        break;
      case 'master_host':
        out.masterHost = val;
        break;
      case 'master_port':
        out.masterPort = toInt(val);
        break;
      case 'master_link_status':
        out.masterLinkUp = val.toLowerCase() === 'up';
        break;
      case 'slave_priority':
        out.slavePriority = toInt(val);
        break;
      case 'slave_repl_offset':
        out.slaveReplOffset = toInt(val);
        break;
      case 'master_repl_offset':
        out.masterReplOffset = toInt(val);
        break;
      case 'replica_announced':
        out.replicaAnnounced = toInt(val);
        break;
      default:
        break;
    }
  }
  return out;
}

/** atoi-like: leading integer, 0 when none (Redis uses atoi/strtoll on these fields). */
function toInt(s: string): number {
  const m = /^\s*(-?\d+)/.exec(s);
  return m?.[1] !== undefined ? Number(m[1]) : 0;
}

const KEYS = [
  'run_id',
  'role',
  'master_host',
  'master_port',
  'master_link_status',
  'master_link_down_since_seconds',
  'slave_priority',
  'slave_repl_offset',
  'master_repl_offset',
  'replica_announced',
  'slave0',
  'slave12',
  'slave',
  'slavex',
  'slave_read_only',
  'master_',
  'rol',
  'roles',
  'redis_version',
  'm',
  's',
  'r',
  '',
];
const VALUES = [
  'master',
  'slave',
  'up',
  'UP',
  'down',
  '127.0.0.1',
  '6379',
  ' 42abc',
  '-7',
  '',
  'x',
  'a'.repeat(40),
  'a'.repeat(45),
  'ip=127.0.0.1,port=6380,state=online,offset=1,lag=0',
  'ip=10.0.0.1,port=x',
  'port=6381,ip=::1',
  '127.0.0.1,6390,online',
  '1.2.3.4',
  ':',
  'a:b',
];
const ENDS = ['\r\n', '\n', '\r\r\n', '\r', ''];

const line = fc
  .tuple(
    fc.constantFrom(...KEYS),
    fc.constantFrom(':', '', '::', ' :'),
    fc.constantFrom(...VALUES),
    fc.constantFrom(...ENDS),
  )
  .map(([k, sep, v, e]) => `${k}${sep}${v}${e}`);

void test('parseInfo - agrees with the split-per-line parser on generated texts', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(line, fc.constantFrom('# Replication\r\n', '\r\n', '\n', '\r')), { maxLength: 20 }),
      (ls) => {
        const text = ls.join('');
        assert.deepEqual(parseInfo(text), reference(text), JSON.stringify(text));
      },
    ),
    { numRuns: 20_000 },
  );
});

void test("parseInfo - agrees on the helpers' master and replica INFO and on edge texts", () => {
  const texts = [
    masterInfo('m'.repeat(40), [
      ['127.0.0.1', 6380],
      ['127.0.0.1', 6381],
    ]),
    masterInfo('m'.repeat(40)),
    replicaInfo('b'.repeat(40), ['127.0.0.1', 6379], { offset: 500 }),
    '',
    '\n',
    '\r',
    'run_id:' + 'c'.repeat(40),
    'run_id:' + 'c'.repeat(39),
    'role:master',
    'role:master\r',
    'slave0:',
    'slave0:ip=1.2.3.4,port=5',
    'master_link_status:up\n\nmaster_link_status:down',
  ];
  for (const t of texts) assert.deepEqual(parseInfo(t), reference(t), JSON.stringify(t));
  const m = parseInfo(texts[0] as string);
  assert.equal(m.role, 'master');
  assert.equal(m.replicas.length, 2);
});
