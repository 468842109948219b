// sentinel.conf parsing: every malformed line below was run through the real redis-sentinel 7.0.15
// (`redis-sentinel x.conf --port N`); the expected line number, echoed line and message are what it printed
// (`ok: true` = it started). Deviations are marked and asserted separately.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, argvToConfigLines, formatConfigError, parseConfig } from '../../src/config/index.js';

interface Row {
  conf: string;
  ok?: true;
  lineNo?: number;
  line?: string;
  message?: string;
}

// Scripts: Redis checks access(path, X_OK); here /bin/true is "executable", everything else is not.
const isExecutable = (p: string): boolean => p === '/bin/true';

const TABLE: Row[] = [
  {
    conf: 'bogus-directive 1',
    lineNo: 1,
    line: 'bogus-directive 1',
    message: 'Bad directive or wrong number of arguments',
  },
  { conf: 'port 70000', lineNo: 1, line: 'port 70000', message: 'argument must be between 0 and 65535 inclusive' },
  { conf: 'port abc', lineNo: 1, line: 'port abc', message: "argument couldn't be parsed into an integer" },
  { conf: 'port', lineNo: 1, line: 'port', message: 'wrong number of arguments' },
  { conf: 'port 1 2', lineNo: 1, line: 'port 1 2', message: 'wrong number of arguments' },
  { conf: 'maxclients abc', lineNo: 1, line: 'maxclients abc', message: "argument couldn't be parsed into an integer" },
  {
    conf: 'maxclients 0',
    lineNo: 1,
    line: 'maxclients 0',
    message: 'argument must be between 1 and 4294967295 inclusive',
  },
  { conf: 'hz 0', ok: true },
  { conf: 'protected-mode maybe', lineNo: 1, line: 'protected-mode maybe', message: "argument must be 'yes' or 'no'" },
  {
    conf: 'loglevel loud',
    lineNo: 1,
    line: 'loglevel loud',
    message: 'argument(s) must be one of the following: debug, verbose, notice, warning',
  },
  { conf: 'loglevel', lineNo: 1, line: 'loglevel', message: 'wrong number of arguments' },
  { conf: 'daemonize 1', lineNo: 1, line: 'daemonize 1', message: "argument must be 'yes' or 'no'" },
  {
    conf: 'tcp-keepalive -1',
    lineNo: 1,
    line: 'tcp-keepalive -1',
    message: 'argument must be between 0 and 2147483647 inclusive',
  },
  { conf: 'timeout -1', lineNo: 1, line: 'timeout -1', message: 'argument must be between 0 and 2147483647 inclusive' },
  {
    conf: 'client-query-buffer-limit 1zb',
    lineNo: 1,
    line: 'client-query-buffer-limit 1zb',
    message: 'argument must be a memory value',
  },
  {
    conf: 'client-query-buffer-limit 100',
    lineNo: 1,
    line: 'client-query-buffer-limit 100',
    message: 'argument must be between 1048576 and 9223372036854775807 inclusive',
  },
  {
    conf: 'latency-tracking-info-percentiles 50 abc',
    lineNo: 1,
    line: 'latency-tracking-info-percentiles 50 abc',
    message: 'Invalid latency-tracking-info-percentiles parameters',
  },
  {
    conf: 'latency-tracking-info-percentiles 200',
    lineNo: 1,
    line: 'latency-tracking-info-percentiles 200',
    message: 'latency-tracking-info-percentiles parameters should sit between [0.0,100.0]',
  },
  { conf: 'logfile', lineNo: 1, line: 'logfile', message: 'wrong number of arguments' },
  { conf: 'include', lineNo: 1, line: 'include', message: 'Bad directive or wrong number of arguments' },
  { conf: 'user', lineNo: 1, line: 'user', message: 'Bad directive or wrong number of arguments' },
  {
    conf: 'user default bogus',
    lineNo: 1,
    line: 'user default bogus',
    message: "Error in user declaration 'user': Syntax error",
  },
  {
    conf: 'user alice on >pw ~* +@all foo',
    lineNo: 1,
    line: 'user alice on >pw ~* +@all foo',
    message: "Error in user declaration '~*': Syntax error",
  },
  {
    conf: 'rename-command CONFIG',
    lineNo: 1,
    line: 'rename-command CONFIG',
    message: 'Bad directive or wrong number of arguments',
  },
  { conf: 'foo.bar 1', ok: true },
  { conf: 'list-max-ziplist-entries 1', ok: true },
  { conf: 'lua-replicate-commands yes', ok: true },
  { conf: 'requirepass', lineNo: 1, line: 'requirepass', message: 'wrong number of arguments' },
  { conf: 'requirepass a b', lineNo: 1, line: 'requirepass a b', message: 'wrong number of arguments' },
  { conf: 'sentinel', ok: true },
  {
    conf: 'sentinel bogus',
    lineNo: 1,
    line: 'sentinel bogus',
    message: 'Unrecognized sentinel configuration statement.',
  },
  {
    conf: 'sentinel monitor m 127.0.0.1',
    lineNo: 1,
    line: 'sentinel monitor m 127.0.0.1',
    message: 'Unrecognized sentinel configuration statement.',
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 0',
    lineNo: 1,
    line: 'sentinel monitor m 127.0.0.1 6379 0',
    message: 'Quorum must be 1 or greater.',
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 -1',
    lineNo: 1,
    line: 'sentinel monitor m 127.0.0.1 6379 -1',
    message: 'Quorum must be 1 or greater.',
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 abc',
    lineNo: 1,
    line: 'sentinel monitor m 127.0.0.1 6379 abc',
    message: 'Quorum must be 1 or greater.',
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 70000 2',
    lineNo: 1,
    line: 'sentinel monitor m 127.0.0.1 70000 2',
    message: 'Invalid port number.',
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 -1 2',
    lineNo: 1,
    line: 'sentinel monitor m 127.0.0.1 -1 2',
    message: 'Invalid port number.',
  },
  { conf: 'sentinel monitor m 127.0.0.1 abc 2', ok: true },
  {
    conf: 'sentinel monitor m some.host.invalid 6379 2',
    lineNo: 1,
    line: 'sentinel monitor m some.host.invalid 6379 2',
    message: "Can't resolve instance hostname.",
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2 extra',
    lineNo: 1,
    line: 'sentinel monitor m 127.0.0.1 6379 2 extra',
    message: 'Unrecognized sentinel configuration statement.',
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel monitor m 127.0.0.2 6379 2',
    lineNo: 2,
    line: 'sentinel monitor m 127.0.0.2 6379 2',
    message: 'Duplicate master name.',
  },
  {
    conf: 'sentinel down-after-milliseconds m 1000',
    lineNo: 1,
    line: 'sentinel down-after-milliseconds m 1000',
    message: 'No such master with specified name.',
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel down-after-milliseconds m 0',
    lineNo: 2,
    line: 'sentinel down-after-milliseconds m 0',
    message: 'negative or zero time parameter.',
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel down-after-milliseconds m abc',
    lineNo: 2,
    line: 'sentinel down-after-milliseconds m abc',
    message: 'negative or zero time parameter.',
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel down-after-milliseconds m',
    lineNo: 2,
    line: 'sentinel down-after-milliseconds m',
    message: 'Unrecognized sentinel configuration statement.',
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel down-after-milliseconds x 1000',
    lineNo: 2,
    line: 'sentinel down-after-milliseconds x 1000',
    message: 'No such master with specified name.',
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel failover-timeout m 0',
    lineNo: 2,
    line: 'sentinel failover-timeout m 0',
    message: 'negative or zero time parameter.',
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel failover-timeout m -5',
    lineNo: 2,
    line: 'sentinel failover-timeout m -5',
    message: 'negative or zero time parameter.',
  },
  { conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel parallel-syncs m 0', ok: true },
  { conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel parallel-syncs m abc', ok: true },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel notification-script m /nonexistent',
    lineNo: 2,
    line: 'sentinel notification-script m /nonexistent',
    message: 'Notification script seems non existing or non executable.',
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel notification-script m /etc/passwd',
    lineNo: 2,
    line: 'sentinel notification-script m /etc/passwd',
    message: 'Notification script seems non existing or non executable.',
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel client-reconfig-script m /nonexistent',
    lineNo: 2,
    line: 'sentinel client-reconfig-script m /nonexistent',
    message: 'Client reconfiguration script seems non existing or non executable.',
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel auth-pass m',
    lineNo: 2,
    line: 'sentinel auth-pass m',
    message: 'Unrecognized sentinel configuration statement.',
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel auth-pass m a b',
    lineNo: 2,
    line: 'sentinel auth-pass m a b',
    message: 'Unrecognized sentinel configuration statement.',
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel auth-user m',
    lineNo: 2,
    line: 'sentinel auth-user m',
    message: 'Unrecognized sentinel configuration statement.',
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel master-reboot-down-after-period m -1',
    lineNo: 2,
    line: 'sentinel master-reboot-down-after-period m -1',
    message: 'negative time parameter.',
  },
  { conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel master-reboot-down-after-period m abc', ok: true },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel rename-command m CONFIG',
    lineNo: 2,
    line: 'sentinel rename-command m CONFIG',
    message: 'Unrecognized sentinel configuration statement.',
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel rename-command m CONFIG A\nsentinel rename-command m config B',
    lineNo: 3,
    line: 'sentinel rename-command m config B',
    message: 'Same command renamed multiple times with rename-command.',
  },
  { conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel config-epoch m abc', ok: true },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel config-epoch m',
    lineNo: 2,
    line: 'sentinel config-epoch m',
    message: 'Unrecognized sentinel configuration statement.',
  },
  { conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel leader-epoch m abc', ok: true },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel known-replica m 127.0.0.1',
    lineNo: 2,
    line: 'sentinel known-replica m 127.0.0.1',
    message: 'Unrecognized sentinel configuration statement.',
  },
  { conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel known-replica m 127.0.0.1 abc', ok: true },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel known-replica m 127.0.0.1 70000',
    lineNo: 2,
    line: 'sentinel known-replica m 127.0.0.1 70000',
    message: 'Invalid port number.',
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel known-replica m bad.host.invalid 6380',
    lineNo: 2,
    line: 'sentinel known-replica m bad.host.invalid 6380',
    message: "Can't resolve instance hostname.",
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel known-replica x 127.0.0.1 6380',
    lineNo: 2,
    line: 'sentinel known-replica x 127.0.0.1 6380',
    message: 'No such master with specified name.',
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel known-slave m 127.0.0.1 6380 extra',
    lineNo: 2,
    line: 'sentinel known-slave m 127.0.0.1 6380 extra',
    message: 'Unrecognized sentinel configuration statement.',
  },
  { conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel known-sentinel m 127.0.0.1 26380', ok: true },
  { conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel known-sentinel m 127.0.0.1 26380 abc', ok: true },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel known-sentinel m 127.0.0.1 abc 0123456789012345678901234567890123456789',
    ok: true,
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel known-sentinel m 127.0.0.1 26380 0123456789012345678901234567890123456789\nsentinel known-sentinel m 127.0.0.1 26380 0123456789012345678901234567890123456789',
    lineNo: 3,
    line: 'sentinel known-sentinel m 127.0.0.1 26380 0123456789012345678901234567890123456789',
    message: 'Duplicate runid for sentinel.',
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel known-replica m 127.0.0.1 6380\nsentinel known-replica m 127.0.0.1 6380',
    lineNo: 3,
    line: 'sentinel known-replica m 127.0.0.1 6380',
    message: 'Duplicate hostname and port for replica.',
  },
  { conf: 'sentinel current-epoch abc', ok: true },
  {
    conf: 'sentinel current-epoch',
    lineNo: 1,
    line: 'sentinel current-epoch',
    message: 'Unrecognized sentinel configuration statement.',
  },
  {
    conf: 'sentinel current-epoch 1 2',
    lineNo: 1,
    line: 'sentinel current-epoch 1 2',
    message: 'Unrecognized sentinel configuration statement.',
  },
  { conf: 'sentinel myid abc', lineNo: 1, line: 'sentinel myid abc', message: 'Malformed Sentinel id in myid option.' },
  {
    conf: 'sentinel myid 01234567890123456789012345678901234567890',
    lineNo: 1,
    line: 'sentinel myid 01234567890123456789012345678901234567890',
    message: 'Malformed Sentinel id in myid option.',
  },
  {
    conf: 'sentinel myid',
    lineNo: 1,
    line: 'sentinel myid',
    message: 'Unrecognized sentinel configuration statement.',
  },
  {
    conf: 'sentinel announce-ip',
    lineNo: 1,
    line: 'sentinel announce-ip',
    message: 'Unrecognized sentinel configuration statement.',
  },
  {
    conf: 'sentinel announce-ip a b',
    lineNo: 1,
    line: 'sentinel announce-ip a b',
    message: 'Unrecognized sentinel configuration statement.',
  },
  { conf: 'sentinel announce-port abc', ok: true },
  { conf: 'sentinel announce-port 70000', ok: true },
  { conf: 'sentinel announce-port -1', ok: true },
  {
    conf: 'sentinel deny-scripts-reconfig maybe',
    lineNo: 1,
    line: 'sentinel deny-scripts-reconfig maybe',
    message: 'Please specify yes or no for the deny-scripts-reconfig options.',
  },
  {
    conf: 'sentinel deny-scripts-reconfig',
    lineNo: 1,
    line: 'sentinel deny-scripts-reconfig',
    message: 'Unrecognized sentinel configuration statement.',
  },
  {
    conf: 'sentinel resolve-hostnames maybe',
    lineNo: 1,
    line: 'sentinel resolve-hostnames maybe',
    message: 'Please specify yes or no for the resolve-hostnames option.',
  },
  {
    conf: 'sentinel announce-hostnames 1',
    lineNo: 1,
    line: 'sentinel announce-hostnames 1',
    message: 'Please specify yes or no for the announce-hostnames option.',
  },
  {
    conf: 'sentinel sentinel-user',
    lineNo: 1,
    line: 'sentinel sentinel-user',
    message: 'Unrecognized sentinel configuration statement.',
  },
  {
    conf: 'sentinel sentinel-pass a b',
    lineNo: 1,
    line: 'sentinel sentinel-pass a b',
    message: 'Unrecognized sentinel configuration statement.',
  },
  {
    conf: 'SENTINEL MONITOR m 127.0.0.1 6379 2\nsentinel Down-After-Milliseconds m 0',
    lineNo: 2,
    line: 'sentinel Down-After-Milliseconds m 0',
    message: 'negative or zero time parameter.',
  },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel monitor n 127.0.0.1 6379 2\nsentinel bogus',
    lineNo: 3,
    line: 'sentinel bogus',
    message: 'Unrecognized sentinel configuration statement.',
  },
  {
    conf: 'port "unterminated',
    lineNo: 1,
    line: 'port "unterminated',
    message: 'Unbalanced quotes in configuration line',
  },
  { conf: 'port "abc"x', lineNo: 1, line: 'port "abc"x', message: 'Unbalanced quotes in configuration line' },
  { conf: 'sentinel monitor "m m" 127.0.0.1 6379 2', ok: true },
  {
    conf: 'sentinel monitor m localhost 6379 2',
    lineNo: 1,
    line: 'sentinel monitor m localhost 6379 2',
    message: "Can't resolve instance hostname.",
  },
  { conf: 'sentinel resolve-hostnames yes\nsentinel monitor m some.host.invalid 6379 2', ok: true },
  {
    conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel down-after-milliseconds m 99999999999999999999',
    lineNo: 2,
    line: 'sentinel down-after-milliseconds m 99999999999999999999',
    message: 'negative or zero time parameter.',
  },
  { conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel down-after-milliseconds m 12abc', ok: true },
  { conf: 'sentinel monitor m 127.0.0.1 6379 2\nsentinel parallel-syncs m -3', ok: true },
  {
    conf: 'sentinel monitor m 256.1.1.1 6379 2',
    lineNo: 1,
    line: 'sentinel monitor m 256.1.1.1 6379 2',
    message: "Can't resolve instance hostname.",
  },
  { conf: 'sentinel monitor m ::1 6379 2', ok: true },
  { conf: 'sentinel monitor m 127.0.0.1 6379 99999999999', ok: true },
  { conf: 'sentinel monitor m 127.0.0.1 6379 2abc', ok: true },
  // From a second batch (ACL `user` lines, generic specials, IP literal forms).
  {
    conf: 'user alice on #abc',
    lineNo: 1,
    line: 'user alice on #abc',
    message:
      "Error in user declaration 'alice': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
  },
  {
    conf: 'user alice on >pw ~* +@all\nuser alice off',
    lineNo: 2,
    line: 'user alice off',
    message: "Error in user declaration 'alice': Duplicate user found. A user can only be defined once in config files",
  },
  {
    conf: 'user alice on %X~foo',
    lineNo: 1,
    line: 'user alice on %X~foo',
    message: "Error in user declaration 'alice': Syntax error",
  },
  { conf: 'user alice on %R~foo +@all', ok: true },
  { conf: 'user alice', ok: true },
  { conf: 'user default on nopass ~* &* +@all', ok: true },
  { conf: 'user alice on >p -@all +sentinel|get-master-addr-by-name', ok: true },
  {
    conf: 'list-max-ziplist-entries 1\nport abc',
    lineNo: 2,
    line: 'port abc',
    message: "argument couldn't be parsed into an integer",
  },
  {
    conf: 'rename-command CONFIG ""',
    lineNo: 1,
    line: 'rename-command CONFIG ""',
    message: 'No such command in rename-command',
  },
  {
    conf: 'rename-command NOSUCH foo',
    lineNo: 1,
    line: 'rename-command NOSUCH foo',
    message: 'No such command in rename-command',
  },
  { conf: 'loadmodule /nonexistent.so', ok: true },
  { conf: 'save 900 1', ok: true },
  { conf: 'save', ok: true },
  { conf: 'bind', ok: true },
  { conf: 'bind 127.0.0.1 ::1', ok: true },
  { conf: 'hz 1000', ok: true },
  // Third batch: number and value forms.
  { conf: 'latency-tracking-info-percentiles ""', ok: true },
  { conf: 'bind ""', ok: true },
  { conf: 'port 007', lineNo: 1, line: 'port 007', message: "argument couldn't be parsed into an integer" },
  { conf: 'port +5', lineNo: 1, line: 'port +5', message: "argument couldn't be parsed into an integer" },
  { conf: 'port " 5"', lineNo: 1, line: 'port " 5"', message: "argument couldn't be parsed into an integer" },
  { conf: 'maxclients 1e3', lineNo: 1, line: 'maxclients 1e3', message: "argument couldn't be parsed into an integer" },
  { conf: 'maxclients -0', lineNo: 1, line: 'maxclients -0', message: "argument couldn't be parsed into an integer" },
  { conf: 'timeout 0x10', lineNo: 1, line: 'timeout 0x10', message: "argument couldn't be parsed into an integer" },
  { conf: 'hz -1', lineNo: 1, line: 'hz -1', message: 'argument must be between 0 and 2147483647 inclusive' },
  { conf: 'client-query-buffer-limit 2MB', ok: true },
  { conf: 'client-query-buffer-limit 1048576b', ok: true },
  { conf: 'loglevel NOTICE', ok: true },
  { conf: 'protected-mode YES', ok: true },
  { conf: 'logfile ""', ok: true },
  { conf: 'tls-auth-clients optional', ok: true },
  { conf: 'syslog-facility LOCAL1', ok: true },
  { conf: 'sentinel monitor m 127.1 6379 2', ok: true },
  { conf: 'sentinel monitor m 0x7f.1 6379 2', ok: true },
  { conf: 'sentinel monitor m ::ffff:127.0.0.1 6379 2', ok: true },
];

void describe('config parse - malformed lines match redis-sentinel 7.0.15', () => {
  for (const row of TABLE) {
    void test(`config parse - ${JSON.stringify(row.conf)} → ${row.ok ? 'accepted' : JSON.stringify(row.message)}`, () => {
      const text = `${row.conf}\n`;
      if (row.ok) {
        assert.doesNotThrow(() => parseConfig(text, { isExecutable }));
        return;
      }
      assert.throws(
        () => parseConfig(text, { isExecutable }),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError);
          assert.equal(e.code, 'VIGIL_ERR_CONFIG');
          assert.equal(e.redisMessage, row.message);
          assert.equal(e.lineNo, row.lineNo);
          assert.equal(e.line, row.line);
          assert.ok(e.hint.length > 0 && !e.hint.includes('\n'), 'one-line hint');
          return true;
        },
      );
    });
  }
});

void describe('config parse - deliberate deviations', () => {
  // Redis reads epochs with strtoull: "-1" becomes 2^64-1 and 2^64 saturates. A JS number cannot carry those
  // exactly, and such an epoch can only come from a corrupted file, so we refuse it instead of rounding it.
  for (const conf of [
    'sentinel monitor m 127.0.0.1 6379 2\nsentinel config-epoch m -1',
    'sentinel monitor m 127.0.0.1 6379 2\nsentinel config-epoch m 18446744073709551615',
    'sentinel current-epoch -1',
    'sentinel current-epoch 9007199254740992',
  ]) {
    void test(`config parse - epoch beyond 2^53-1 is refused: ${JSON.stringify(conf)}`, () => {
      assert.throws(
        () => parseConfig(conf),
        (e: unknown) => e instanceof ConfigError && /too large/.test(e.redisMessage),
      );
    });
  }
  void test('config parse - include is refused (parsing is pure)', () => {
    assert.throws(
      () => parseConfig('include /etc/redis/other.conf\n'),
      (e: unknown) => e instanceof ConfigError && e.lineNo === 1,
    );
  });
});

void describe('config parse - model', () => {
  void test('config parse - defaults of an empty file', () => {
    const { config } = parseConfig('');
    assert.equal(config.server.port, 26379);
    assert.equal(config.server.protectedMode, false);
    assert.deepEqual(config.server.bind, []);
    assert.equal(config.sentinel.denyScriptsReconfig, true);
    assert.equal(config.sentinel.currentEpoch, 0);
    assert.equal(config.sentinel.myid, undefined);
    assert.deepEqual(config.masters, []);
  });

  void test('config parse - full sentinel section, three passes, case-insensitive keywords', () => {
    const text = [
      '# comment',
      'SENTINEL monitor m 10.0.0.1 6379 2',
      'sentinel down-after-milliseconds m 5000',
      'sentinel failover-timeout m 60000',
      'sentinel parallel-syncs m 2',
      'sentinel notification-script m /bin/true',
      'sentinel client-reconfig-script m /bin/true',
      'sentinel auth-pass m "p w"',
      'sentinel auth-user m bob',
      'sentinel master-reboot-down-after-period m 1500',
      'sentinel rename-command m CONFIG XCONFIG',
      'sentinel config-epoch m 9',
      'sentinel leader-epoch m 8',
      'sentinel known-replica m 10.0.0.2 6379',
      'sentinel known-slave m 10.0.0.3 6379',
      `sentinel known-sentinel m 10.0.0.4 26379 ${'a'.repeat(40)}`,
      'sentinel known-sentinel m 10.0.0.5 26379',
      'sentinel current-epoch 7',
      `sentinel myid ${'b'.repeat(40)}`,
      'sentinel announce-ip 1.2.3.4',
      'sentinel announce-port 26000',
      'sentinel deny-scripts-reconfig no',
      'sentinel sentinel-user su',
      'sentinel sentinel-pass sp',
      'Sentinel Announce-Hostnames yes',
      'sentinel monitor h redis.example 6380 1',
      'sentinel resolve-hostnames yes',
    ].join('\n');
    const { config, lines } = parseConfig(text, { isExecutable });
    assert.equal(lines.length, 27);
    assert.equal(lines[0]?.kind, 'comment');
    const m = config.masters[0];
    assert.deepEqual(m, {
      name: 'm',
      host: '10.0.0.1',
      port: 6379,
      quorum: 2,
      downAfterMs: 5000,
      failoverTimeoutMs: 60000,
      parallelSyncs: 2,
      notificationScript: '/bin/true',
      clientReconfigScript: '/bin/true',
      authPass: 'p w',
      authUser: 'bob',
      masterRebootDownAfterPeriodMs: 1500,
      renamedCommands: [{ command: 'CONFIG', renamed: 'XCONFIG' }],
      configEpoch: 9,
      leaderEpoch: 8,
      knownReplicas: [
        { host: '10.0.0.2', port: 6379 },
        { host: '10.0.0.3', port: 6379 },
      ],
      knownSentinels: [{ host: '10.0.0.4', port: 26379, runId: 'a'.repeat(40) }],
    });
    // resolve-hostnames is a first-pass directive: it applies to a monitor line written before it.
    assert.equal(config.masters[1]?.host, 'redis.example');
    // config-epoch 9 (third pass) raises current-epoch 7.
    assert.equal(config.sentinel.currentEpoch, 9);
    assert.deepEqual(config.sentinel, {
      currentEpoch: 9,
      myid: 'b'.repeat(40),
      announceIp: '1.2.3.4',
      announcePort: 26000,
      denyScriptsReconfig: false,
      sentinelUser: 'su',
      sentinelPass: 'sp',
      resolveHostnames: true,
      announceHostnames: true,
    });
  });

  void test('config parse - pre-monitor errors are reported before monitor errors, whatever the line order', () => {
    const text = 'sentinel monitor m 127.0.0.1 6379 0\nsentinel myid short\n';
    assert.throws(
      () => parseConfig(text),
      (e: unknown) => e instanceof ConfigError && e.lineNo === 2,
    );
  });

  void test('config parse - generic errors come before any sentinel error', () => {
    const text = 'sentinel bogus\nport abc\n';
    assert.throws(
      () => parseConfig(text),
      (e: unknown) => e instanceof ConfigError && e.lineNo === 2,
    );
  });

  void test('config parse - generic directives fill the typed server options', () => {
    const text = [
      'port 26380',
      'bind 127.0.0.1 ::1',
      'protected-mode YES',
      'dir /tmp',
      'logfile "/var/log/s.log"',
      'loglevel Verbose',
      'pidfile /run/s.pid',
      'daemonize yes',
      'requirepass "a b"',
      'maxclients 100',
      'tcp-keepalive 60',
      'timeout 5',
      'hz 20',
      'tls-port 26390',
      'tls-replication yes',
      'tls-cert-file /c.pem',
      'bind-source-addr 127.0.0.1',
      'user alice on ">p w" ~* +@all',
      'client-query-buffer-limit 2mb',
      'save ""',
    ].join('\n');
    const { server } = parseConfig(text).config;
    assert.equal(server.port, 26380);
    assert.deepEqual(server.bind, ['127.0.0.1', '::1']);
    assert.equal(server.protectedMode, true);
    assert.equal(server.dir, '/tmp');
    assert.equal(server.logfile, '/var/log/s.log');
    assert.equal(server.loglevel, 'verbose');
    assert.equal(server.pidfile, '/run/s.pid');
    assert.equal(server.daemonize, true);
    assert.equal(server.requirepass, 'a b');
    assert.equal(server.maxclients, 100);
    assert.equal(server.tcpKeepaliveSec, 60);
    assert.equal(server.clientIdleTimeoutSec, 5);
    assert.equal(server.hz, 20);
    assert.equal(server.tlsPort, 26390);
    assert.equal(server.tlsReplication, true);
    assert.equal(server.tls['tls-cert-file'], '/c.pem');
    assert.equal(server.bindSourceAddr, '127.0.0.1');
    assert.deepEqual(server.users, ['alice on ">p w" ~* +@all']);
    assert.deepEqual(server.other['client-query-buffer-limit'], ['2mb']);
    assert.deepEqual(server.other.save, ['']);
  });

  void test('config parse - IPv4 literals are normalised like getaddrinfo(AI_NUMERICHOST)', () => {
    const { masters } = parseConfig(
      'sentinel monitor a 127.1 1 1\nsentinel monitor b 0x7f.1 2 1\nsentinel monitor c ::1 3 1\n',
    ).config;
    assert.deepEqual(
      masters.map((m) => m.host),
      ['127.0.0.1', '127.0.0.1', '::1'],
    );
  });

  void test('config parse - C conversions: atoi on ports and quorum, a 4-argument known-sentinel is ignored', () => {
    const { masters } = parseConfig(
      'sentinel monitor m 127.0.0.1 abc 2abc\nsentinel known-sentinel m 127.0.0.1 26379\nsentinel parallel-syncs m -3\n',
    ).config;
    assert.equal(masters[0]?.port, 0);
    assert.equal(masters[0]?.quorum, 2);
    assert.equal(masters[0]?.parallelSyncs, -3);
    assert.deepEqual(masters[0]?.knownSentinels, []);
  });

  void test('config parse - lossless: CRLF, comments, blank and unknown-to-us-but-valid lines are kept verbatim', () => {
    const text = '# a\r\n\r\n  port 26379  \r\nlist-max-ziplist-entries 5\r\n';
    const doc = parseConfig(text);
    assert.deepEqual(
      doc.lines.map((l) => l.raw),
      ['# a\r', '\r', '  port 26379  \r', 'list-max-ziplist-entries 5\r', ''],
    );
    assert.deepEqual(
      doc.lines.map((l) => l.kind),
      ['comment', 'blank', 'directive', 'directive', 'blank'],
    );
    assert.deepEqual(doc.lines[2]?.args, ['port', '26379']);
    assert.equal(doc.warnings.length, 1);
  });

  void test('config parse - a UTF-8 BOM makes the first directive unknown, as in Redis', () => {
    assert.throws(
      () => parseConfig('\ufeffport 26379\n'),
      (e: unknown) => e instanceof ConfigError && e.lineNo === 1,
    );
  });
});

void describe('config parse - command-line options', () => {
  void test('config parse - argv lines follow the file, numbered after an extra line (file ends with a newline)', () => {
    const file = `sentinel myid ${'0'.repeat(40)}\nsentinel monitor m 127.0.0.1 1 2\n`;
    const argvLines = argvToConfigLines(['--port', 'abc']);
    assert.throws(
      () => parseConfig(file, { argvLines }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.lineNo === 4 &&
        e.line === 'port "abc"' &&
        e.redisMessage === "argument couldn't be parsed into an integer",
    );
  });

  void test('config parse - argv lines numbered right after a file without a final newline', () => {
    const file = `sentinel myid ${'0'.repeat(40)}\nsentinel monitor m 127.0.0.1 1 2`;
    const argvLines = argvToConfigLines([
      '--port',
      '1234',
      '--sentinel',
      'announce-port',
      'x y',
      '--sentinel',
      'bogus',
      'a"b',
    ]);
    assert.throws(
      () => parseConfig(file, { argvLines }),
      (e: unknown) => e instanceof ConfigError && e.lineNo === 5 && e.line === 'sentinel "bogus" "a\\"b"',
    );
  });

  void test('config parse - a value-less option at the end', () => {
    const file = 'port 1\n';
    assert.throws(
      () => parseConfig(file, { argvLines: argvToConfigLines(['--maxclients']) }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.lineNo === 3 &&
        e.line === 'maxclients' &&
        e.redisMessage === 'wrong number of arguments',
    );
  });

  void test('config parse - --sentinel announce-ip overrides the file', () => {
    const doc = parseConfig('sentinel announce-ip 9.9.9.9\n', {
      argvLines: argvToConfigLines(['--port', '26380', '--sentinel', 'announce-ip', '1.2.3.4']),
    });
    assert.equal(doc.config.server.port, 26380);
    assert.equal(doc.config.sentinel.announceIp, '1.2.3.4');
    assert.deepEqual(
      doc.lines.slice(-2).map((l) => l.source),
      ['argv', 'argv'],
    );
  });
});

void describe('config parse - error format', () => {
  void test('config parse - formatConfigError prints Redis block plus one hint line', () => {
    try {
      parseConfig('port 70000\n');
      assert.fail('must throw');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      const lines = formatConfigError(e).split('\n');
      assert.deepEqual(lines.slice(0, 4), [
        '*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***',
        'Reading the configuration file, at line 1',
        ">>> 'port 70000'",
        'argument must be between 0 and 65535 inclusive',
      ]);
      assert.equal(lines.length, 5);
      assert.match(lines[4] as string, /^hint: .*65535/);
    }
  });
});

void describe('config parse - dir and relative paths (real redis-sentinel 7.0.15 observed)', () => {
  // Observed with redis-sentinel 7.0.15: `dir` chdir()s at its line (a relative dir is relative to the previous
  // one) and the sentinel directives run after every other line, so a relative script resolves against the last
  // `dir`, written before or after it; a failing chdir is a fatal error at the dir line.
  const exe = (set: string[]) => (p: string) => set.includes(p);
  const m = 'sentinel monitor m 127.0.0.1 6379 1\nsentinel notification-script m hooks/n.sh';
  const parse = (conf: string, ok: string[], dirs: string[] = ['/d1', '/d2', '/d1/sub', '/start']) =>
    parseConfig(conf, {
      cwd: '/start',
      isExecutable: exe(ok),
      dirError: (d) => (dirs.includes(d) ? null : 'No such file or directory'),
    });
  const scriptError = (f: () => unknown) =>
    assert.throws(f, (e: unknown) => e instanceof ConfigError && /Notification script seems/.test(e.redisMessage));

  void test('config parse - dir before or after the sentinel lines: scripts resolve against it', () => {
    assert.equal(parse(`dir /d2\n${m}`, ['/d2/hooks/n.sh']).config.server.dir, '/d2');
    assert.equal(parse(`${m}\ndir /d2`, ['/d2/hooks/n.sh']).config.masters[0]?.notificationScript, 'hooks/n.sh');
    // Without dir: the start directory.
    scriptError(() => parse(m, ['/d2/hooks/n.sh']));
    parse(m, ['/start/hooks/n.sh']);
  });

  void test('config parse - the last dir wins, and relative dirs chain', () => {
    scriptError(() => parse(`dir /d2\n${m}\ndir /d1`, ['/d2/hooks/n.sh']));
    assert.equal(parse(`dir /d1\ndir sub\n${m}`, ['/d1/sub/hooks/n.sh']).config.server.dir, '/d1/sub');
    // A command-line --dir comes after the file, like Redis.
    const doc = parseConfig(m, {
      cwd: '/start',
      argvLines: argvToConfigLines(['--dir', '/d1']),
      isExecutable: exe(['/d1/hooks/n.sh']),
      dirError: () => null,
    });
    assert.equal(doc.config.server.dir, '/d1');
  });

  void test('config parse - a dir that cannot be entered fails at its line with strerror', () => {
    assert.throws(
      () => parse('port 1\ndir /nope\n' + m, ['/nope/hooks/n.sh']),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.lineNo === 2 &&
        e.line === 'dir /nope' &&
        e.redisMessage === 'No such file or directory',
    );
  });
});
