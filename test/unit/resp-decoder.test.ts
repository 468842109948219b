// Table-driven decoder tests. Every case runs as one chunk, byte by byte and with random chunkings.
// Expected command-decoder behaviour (texts, acceptance) was checked against redis-server 7.0.15.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CommandDecoder,
  ReplyDecoder,
  RespErrorReply,
  RespProtocolError,
  RespPush,
  RespVerbatim,
  splitInlineArgs,
  type Reply,
} from '../../src/resp/index.js';
import { chunk, decodeCommands, decodeReplies, prng, randomCuts, type Chunking } from './resp-helpers.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const strs = (cmds: Buffer[][]): string[][] => cmds.map((c) => c.map((x) => x.toString('latin1')));

function chunkings(len: number, seed: number): Chunking[] {
  const rnd = prng(seed);
  return ['whole', 'bytes', randomCuts(len, rnd), randomCuts(len, rnd), randomCuts(len, rnd)];
}

const commandCases: Array<[name: string, input: string, expected: string[][]]> = [
  ['multibulk', '*2\r\n$3\r\nGET\r\n$1\r\nx\r\n', [['GET', 'x']]],
  ['binary-safe argument', '*2\r\n$4\r\nECHO\r\n$4\r\na\r\n\x00\r\n', [['ECHO', 'a\r\n\x00']]],
  ['empty argument', '*2\r\n$4\r\nECHO\r\n$0\r\n\r\n', [['ECHO', '']]],
  ['pipelined', '*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n', [['PING'], ['PING']]],
  ['inline with CRLF', 'PING\r\n', [['PING']]],
  ['inline with bare LF', 'PING\n', [['PING']]],
  ['inline several spaces and tabs', '  SET\tk   v  \r\n', [['SET', 'k', 'v']]],
  ['empty inline lines are skipped', '\r\n\n   \r\nPING\r\n', [['PING']]],
  ['*0 and *-1 are empty commands', '*0\r\n*-1\r\n*-5\r\nPING\r\n', [['PING']]],
  ['inline double quotes and escapes', 'ECHO "a\\x41\\q\\n"\r\n', [['ECHO', 'aAq\n']]],
  ['inline all escapes', 'ECHO "\\n\\r\\t\\b\\a\\\\\\""\r\n', [['ECHO', '\n\r\t\b\x07\\"']]],
  ['inline incomplete hex escape', 'ECHO "a\\x4"\r\n', [['ECHO', 'ax4']]],
  ['inline single quotes', "ECHO 'a\\'b'\r\n", [['ECHO', "a'b"]]],
  ['single quotes keep other escapes', "ECHO 'a\\nb'\r\n", [['ECHO', 'a\\nb']]],
  ['quote inside a word starts quoting', 'ECHO a"b c" d\r\n', [['ECHO', 'ab c', 'd']]],
  ['empty quoted argument', 'ECHO ""\r\n', [['ECHO', '']]],
  ['\\v and \\f are leading blanks but not separators', 'ECHO \x0bx\x0cy\r\n', [['ECHO', 'x\x0cy']]],
  ['multibulk after inline', 'PING\r\n*1\r\n$4\r\nPING\r\n', [['PING'], ['PING']]],
  // Redis skips the two bytes after a bulk without checking them (networking.c); so do we.
  ['bytes after bulk are skipped unchecked', '*1\r\n$4\r\nPINGxxPING\r\n', [['PING'], ['PING']]],
];

const commandErrors: Array<[name: string, input: string, message: string]> = [
  ['non-$ in multibulk', '*1\r\nX\r\n', "Protocol error: expected '$', got 'X'"],
  ['CR shown as space', '*1\r\n\r\r\n', "Protocol error: expected '$', got ' '"],
  ['LF shown as space', '*1\r\n\n\r\n', "Protocol error: expected '$', got ' '"],
  ['non-numeric count', '*a\r\n', 'Protocol error: invalid multibulk length'],
  ['plus sign count', '*+1\r\n', 'Protocol error: invalid multibulk length'],
  ['count with LF only', '*1\nxx\r\n', 'Protocol error: invalid multibulk length'],
  ['count above INT_MAX', '*2147483648\r\n', 'Protocol error: invalid multibulk length'],
  ['count far above INT_MAX', '*99999999999\r\n', 'Protocol error: invalid multibulk length'],
  ['negative bulk length', '*1\r\n$-1\r\n', 'Protocol error: invalid bulk length'],
  ['leading zero bulk length', '*1\r\n$01\r\n', 'Protocol error: invalid bulk length'],
  ['bulk length above 512MB', '*1\r\n$536870913\r\n', 'Protocol error: invalid bulk length'],
  ['closing quote followed by a letter', 'ECHO "a"b\r\n', 'Protocol error: unbalanced quotes in request'],
  ['unterminated double quote', 'ECHO "abc\r\n', 'Protocol error: unbalanced quotes in request'],
  ['escaped closing quote', 'ECHO "ab\\"\r\n', 'Protocol error: unbalanced quotes in request'],
  ['unterminated single quote', "ECHO 'ab\r\n", 'Protocol error: unbalanced quotes in request'],
];

void describe('resp - command decoder', () => {
  for (const [name, input, expected] of commandCases) {
    void test(`resp - command decoder: ${name}`, () => {
      const buf = b(input);
      for (const how of chunkings(buf.length, name.length)) {
        assert.deepEqual(strs(decodeCommands(buf, how)), expected, `chunking ${JSON.stringify(how)}`);
      }
    });
  }

  for (const [name, input, message] of commandErrors) {
    void test(`resp - command decoder rejects ${name}`, () => {
      const buf = b(input);
      for (const how of chunkings(buf.length, name.length)) {
        assert.throws(
          () => decodeCommands(buf, how),
          (e: unknown) =>
            e instanceof RespProtocolError && e.message === message && e.code === 'VIGIL_ERR_RESP_PROTOCOL',
          `chunking ${JSON.stringify(how)}`,
        );
      }
    });
  }

  void test('resp - command decoder waits for incomplete input without emitting', () => {
    const d = new CommandDecoder();
    assert.deepEqual(d.push(b('*2\r\n$3\r\nGET\r\n$1\r\n')), []);
    assert.deepEqual(d.push(b('x')), []);
    assert.deepEqual(d.push(b('\r')), []);
    assert.deepEqual(strs(d.push(b('\n'))), [['GET', 'x']]);
    assert.equal(d.buffered, 0);
    assert.deepEqual(d.push(b('*1\r')), []);
    assert.deepEqual(strs(d.push(b('\n$4\r\nPING\r\nPI'))), [['PING']]);
    assert.deepEqual(strs(d.push(b('NG\n'))), [['PING']]);
  });

  void test('resp - command decoder inline line longer than 64KB is too big', () => {
    const long = b('SET k ' + 'x'.repeat(64 * 1024));
    assert.throws(() => new CommandDecoder().push(long), { message: 'Protocol error: too big inline request' });
    // Arriving in pieces: rejected as soon as more than 64 KB are buffered without a newline.
    const d = new CommandDecoder();
    assert.throws(
      () => {
        for (let i = 0; i < long.length; i += 1000) d.push(long.subarray(i, i + 1000));
      },
      { message: 'Protocol error: too big inline request' },
    );
    // A complete line over the limit is rejected too (chunking-independent).
    assert.throws(() => new CommandDecoder().push(Buffer.concat([long, b('\r\n')])), {
      message: 'Protocol error: too big inline request',
    });
    // Exactly at the limit is fine.
    const ok = Buffer.concat([b('E '), Buffer.alloc(64 * 1024 - 2, 'y'), b('\r\n')]);
    assert.equal(new CommandDecoder().push(ok).length, 1);
  });

  void test('resp - command decoder count strings without CR beyond 64KB are too big', () => {
    assert.throws(() => new CommandDecoder().push(b('*' + '1'.repeat(70 * 1024))), {
      message: 'Protocol error: too big mbulk count string',
    });
    assert.throws(() => new CommandDecoder().push(b('*1\r\n$' + '1'.repeat(70 * 1024))), {
      message: 'Protocol error: too big bulk count string',
    });
    const d = new CommandDecoder();
    d.push(b('*1\r\n$1'));
    assert.throws(
      () => {
        for (let i = 0; i < 70; i++) d.push(b('1'.repeat(1024)));
      },
      { message: 'Protocol error: too big bulk count string' },
    );
  });

  void test('resp - command decoder accepts a 2,000,000 multibulk count and waits (redis 7.0.15)', () => {
    const d = new CommandDecoder();
    assert.deepEqual(d.push(b('*2000000\r\n')), []);
    assert.deepEqual(d.push(b('$4\r\nPING\r\n')), []);
    assert.equal(d.buffered, 4);
  });

  void test('resp - command decoder limits are configurable', () => {
    const d = new CommandDecoder({ maxBulkLength: 10, maxMultibulkLength: 2, maxInlineLength: 8 });
    assert.throws(() => new CommandDecoder({ maxBulkLength: 10 }).push(b('*1\r\n$11\r\n')), {
      message: 'Protocol error: invalid bulk length',
    });
    assert.throws(() => new CommandDecoder({ maxMultibulkLength: 2 }).push(b('*3\r\n')), {
      message: 'Protocol error: invalid multibulk length',
    });
    assert.throws(() => d.push(b('123456789\r\n')), { message: 'Protocol error: too big inline request' });
  });

  void test('resp - command decoder does not preallocate a huge declared bulk', () => {
    const d = new CommandDecoder();
    const before = process.memoryUsage().arrayBuffers;
    d.push(b('*2\r\n$3\r\nSET\r\n$536870912\r\n'));
    const piece = Buffer.alloc(64 * 1024, 'z');
    for (let i = 0; i < 16; i++) d.push(piece);
    assert.equal(d.buffered, 3 + 16 * 64 * 1024);
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 64 * 1024 * 1024, `arrayBuffers grew by ${grown}`);
  });

  void test('resp - command decoder completes a bulk split over many chunks', () => {
    const value = Buffer.alloc(300_000);
    for (let i = 0; i < value.length; i++) value[i] = (i * 7) & 0xff;
    const input = Buffer.concat([b(`*2\r\n$4\r\nECHO\r\n$${value.length}\r\n`), value, b('\r\n')]);
    const rnd = prng(7);
    const cmds = decodeCommands(input, randomCuts(input.length, rnd).concat([100, 5000, 70000, 299_999]));
    assert.equal(cmds.length, 1);
    assert.ok(cmds[0]![1]!.equals(value));
  });

  void test('resp - inline splitting stops at a NUL byte like the C string in sdssplitargs', () => {
    assert.deepEqual(strs([splitInlineArgs(b('ECHO a\x00b c'))!]), [['ECHO', 'a']]);
    assert.equal(splitInlineArgs(b('ECHO "a\x00b"')), null);
  });
});

const R3 = (v: Reply): Reply => v;

const replyCases: Array<[name: string, input: string, expected: Reply[]]> = [
  ['simple string', '+OK\r\n', ['OK']],
  ['error', '-ERR unknown command\r\n', [new RespErrorReply('ERR unknown command')]],
  ['integers', ':0\r\n:-12\r\n:+7\r\n:9007199254740991\r\n', [0, -12, 7, 9007199254740991]],
  [
    'integer beyond 2^53 is a bigint',
    ':9007199254740993\r\n:-9223372036854775808\r\n',
    [9007199254740993n, -9223372036854775808n],
  ],
  ['long integer within safe range is a number', ':0000000000000000042\r\n', [42]],
  ['bulk', '$5\r\nhello\r\n$0\r\n\r\n', ['hello', '']],
  ['bulk containing CRLF', '$4\r\na\r\nb\r\n', ['a\r\nb']],
  ['utf-8 bulk', '$4\r\nh\xc3\xa9!\r\n', ['hé!']],
  ['null bulk and null array', '$-1\r\n*-1\r\n', [null, null]],
  ['array', '*3\r\n:1\r\n$1\r\na\r\n+b\r\n', [[1, 'a', 'b']]],
  ['empty array', '*0\r\n', [[]]],
  ['nested arrays', '*2\r\n*1\r\n*0\r\n*2\r\n:1\r\n-E x\r\n', [[[[]], [1, new RespErrorReply('E x')]]]],
  ['RESP3 null', '_\r\n', [null]],
  ['booleans', '#t\r\n#f\r\n', [true, false]],
  ['doubles', ',3.141\r\n,1.1000000000000001\r\n,1e+21\r\n,-0\r\n,10\r\n', [3.141, 1.1, 1e21, -0, 10]],
  ['double infinities and nan', ',inf\r\n,-inf\r\n,nan\r\n', [Infinity, -Infinity, NaN]],
  ['big number', '(1234567999999999999999999999999999999\r\n', [1234567999999999999999999999999999999n]],
  ['blob error', '!21\r\nSYNTAX invalid syntax\r\n', [new RespErrorReply('SYNTAX invalid syntax')]],
  [
    'verbatim (redis DEBUG PROTOCOL verbatim)',
    '=29\r\ntxt:This is a verbatim\nstring\r\n',
    [new RespVerbatim('txt', 'This is a verbatim\nstring')],
  ],
  [
    'map (redis DEBUG PROTOCOL map)',
    '%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n',
    [
      new Map<Reply, Reply>([
        [0, false],
        [1, true],
        [2, false],
      ]),
    ],
  ],
  ['set (redis DEBUG PROTOCOL set)', '~3\r\n:0\r\n:1\r\n:2\r\n', [new Set([0, 1, 2])]],
  ['empty map and set', '%0\r\n~0\r\n', [new Map(), new Set()]],
  ['push', '>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n', [new RespPush(['message', 'ch', 'hi'])]],
  [
    'attribute is discarded (redis DEBUG PROTOCOL attrib)',
    '|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n',
    ['Some real reply following the attribute'],
  ],
  ['attribute inside an array is not an element', '*2\r\n:1\r\n|1\r\n+a\r\n+b\r\n:2\r\n', [[1, 2]]],
  ['empty attribute', '|0\r\n:5\r\n', [5]],
  [
    'HELLO 3 reply',
    '%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:3\r\n',
    [
      R3(
        new Map<Reply, Reply>([
          ['server', 'redis'],
          ['proto', 3],
        ]),
      ),
    ],
  ],
];

const replyErrors: Array<[name: string, input: string]> = [
  ['unknown type byte', '?x\r\n'],
  ['bad integer', ':12a\r\n'],
  ['empty integer', ':\r\n'],
  ['negative bulk length other than -1', '$-2\r\n'],
  ['bulk without CRLF terminator', '$3\r\nabcxy'],
  ['line with CR but no LF', '+OK\rX'],
  ['bad boolean', '#x\r\n'],
  ['bad double', ',1.2.3\r\n'],
  ['hex double', ',0x10\r\n'],
  ['bad big number', '(12a\r\n'],
  ['null with payload', '_x\r\n'],
  ['null map', '%-1\r\n'],
  ['bad verbatim', '=3\r\ntxt\r\n'],
  ['streamed aggregate', '*?\r\n'],
];

void describe('resp - reply decoder', () => {
  for (const [name, input, expected] of replyCases) {
    void test(`resp - reply decoder: ${name}`, () => {
      const buf = b(input);
      for (const how of chunkings(buf.length, name.length)) {
        assert.deepStrictEqual(decodeReplies(buf, how), expected, `chunking ${JSON.stringify(how)}`);
      }
    });
  }

  for (const [name, input] of replyErrors) {
    void test(`resp - reply decoder rejects ${name}`, () => {
      const buf = b(input);
      for (const how of chunkings(buf.length, name.length)) {
        assert.throws(() => decodeReplies(buf, how), RespProtocolError, `chunking ${JSON.stringify(how)}`);
      }
    });
  }

  void test('resp - reply decoder returnBuffers gives Buffers for bulk strings only', () => {
    const out = decodeReplies(b('$3\r\na\x00b\r\n+OK\r\n*1\r\n$0\r\n\r\n'), 'bytes', { returnBuffers: true });
    assert.deepStrictEqual(out, [b('a\x00b'), 'OK', [Buffer.alloc(0)]]);
  });

  void test('resp - reply decoder hands attributes to the hook', () => {
    const seen: Array<Map<Reply, Reply>> = [];
    const d = new ReplyDecoder({ onAttribute: (a) => seen.push(a) });
    assert.deepStrictEqual(d.push(b('|1\r\n+k\r\n:1\r\n+v\r\n')), ['v']);
    assert.deepStrictEqual(seen, [new Map<Reply, Reply>([['k', 1]])]);
  });

  void test('resp - reply decoder depth limit', () => {
    const deep = (n: number): Buffer => b('*1\r\n'.repeat(n) + ':1\r\n');
    assert.equal(new ReplyDecoder().push(deep(128)).length, 1);
    assert.throws(() => new ReplyDecoder().push(deep(129)), RespProtocolError);
    assert.throws(() => new ReplyDecoder({ limits: { maxDepth: 3 } }).push(deep(4)), RespProtocolError);
    // Depth counts maps, sets, pushes and attributes too.
    assert.throws(
      () => new ReplyDecoder({ limits: { maxDepth: 2 } }).push(b('%1\r\n~1\r\n>1\r\n:1\r\n')),
      RespProtocolError,
    );
  });

  void test('resp - reply decoder aggregate and bulk limits', () => {
    const d = { limits: { maxMultibulkLength: 4, maxBulkLength: 3 } };
    assert.throws(() => new ReplyDecoder(d).push(b('*5\r\n')), RespProtocolError);
    assert.throws(() => new ReplyDecoder(d).push(b('%5\r\n')), RespProtocolError);
    assert.throws(() => new ReplyDecoder(d).push(b('$4\r\n')), RespProtocolError);
    assert.equal(new ReplyDecoder(d).push(b('*4\r\n:1\r\n:1\r\n:1\r\n$3\r\nabc\r\n')).length, 1);
    // Default client limit allows huge declared counts without allocating for them.
    assert.deepEqual(new ReplyDecoder().push(b('*2000000000\r\n:1\r\n')), []);
  });

  void test('resp - reply decoder keeps only received bytes of a huge declared bulk', () => {
    const d = new ReplyDecoder();
    d.push(b('$536870912\r\n'));
    const piece = Buffer.alloc(64 * 1024, 'z');
    for (let i = 0; i < 8; i++) d.push(piece);
    assert.equal(d.buffered, 8 * 64 * 1024);
  });

  void test('resp - reply decoder large bulk across chunks', () => {
    const text = 'x'.repeat(1_000_000) + 'é';
    const input = Buffer.concat([b(`*2\r\n$${Buffer.byteLength(text)}\r\n`), Buffer.from(text), b('\r\n:1\r\n')]);
    for (const how of [
      [1, 2, 3, 20, 65536, 131072, 1_000_001],
      [16, 1_000_018],
    ] as number[][]) {
      assert.deepStrictEqual(decodeReplies(input, how), [[text, 1]]);
    }
  });

  void test('resp - reply decoder returns nothing for an empty chunk and resumes after it', () => {
    const d = new ReplyDecoder();
    assert.deepEqual(d.push(Buffer.alloc(0)), []);
    assert.deepEqual(d.push(b('+O')), []);
    assert.deepEqual(d.push(Buffer.alloc(0)), []);
    assert.deepEqual(d.push(b('K\r\n')), ['OK']);
  });
});

void test('resp - inline limit does not depend on where the chunk boundary falls', () => {
  const line = Buffer.concat([Buffer.from('E '), Buffer.alloc(64 * 1024 - 2, 'y'), Buffer.from('\r\n')]);
  for (const cut of [line.length - 2, line.length - 1, 10]) {
    const d = new CommandDecoder();
    assert.equal([...d.push(line.subarray(0, cut)), ...d.push(line.subarray(cut))].length, 1, `cut ${cut}`);
  }
});

void test('resp - reply decoder onReply callback receives top-level replies in order', () => {
  const input = Buffer.from('+OK\r\n:1\r\n*2\r\n$1\r\na\r\n:2\r\n$3\r\nabc\r\n-ERR e\r\n%1\r\n+k\r\n+v\r\n');
  const want = decodeReplies(input, 'whole');
  for (const how of ['whole', 'bytes', [3, 9, 17]] as const) {
    const got: Reply[] = [];
    const d = new ReplyDecoder({ onReply: (r) => got.push(r) });
    for (const c of chunk(input, how === 'whole' || how === 'bytes' ? how : [...how])) assert.deepEqual(d.push(c), []);
    assert.deepStrictEqual(got, want);
  }
});

void test('resp - large values split across chunks are exact (returnBuffers and commands)', () => {
  const value = Buffer.alloc(200_000);
  for (let i = 0; i < value.length; i++) value[i] = (i * 31) & 0xff;
  const reply = Buffer.concat([Buffer.from(`$${value.length}\r\n`), value, Buffer.from('\r\n+after\r\n')]);
  const cmd = Buffer.concat([Buffer.from(`*1\r\n$${value.length}\r\n`), value, Buffer.from('\r\nPING\r\n')]);
  for (const cuts of [[10], [10, 100_000], [9, 200_009, 200_010]]) {
    const r = decodeReplies(reply, cuts, { returnBuffers: true });
    assert.ok(Buffer.isBuffer(r[0]) && r[0].equals(value));
    assert.equal(r[1], 'after');
    const c = decodeCommands(cmd, cuts);
    assert.ok(c[0]![0]!.equals(value));
    assert.equal(c[1]![0]!.toString(), 'PING');
  }
});

void test('resp - command decoder unauthenticated limits (redis-server 7.0.15 with requirepass)', () => {
  const d = (): CommandDecoder => {
    const x = new CommandDecoder();
    x.authRequired = true;
    return x;
  };
  assert.deepEqual(d().push(Buffer.from('*10\r\n')), []);
  assert.throws(() => d().push(Buffer.from('*11\r\n')), {
    message: 'Protocol error: unauthenticated multibulk length',
  });
  assert.deepEqual(d().push(Buffer.from('*1\r\n$16384\r\n')), []);
  assert.throws(() => d().push(Buffer.from('*1\r\n$16385\r\n')), {
    message: 'Protocol error: unauthenticated bulk length',
  });
  const after = d();
  after.authRequired = false;
  assert.deepEqual(after.push(Buffer.from('*11\r\n')), []);
});
