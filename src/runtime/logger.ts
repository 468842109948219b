// Redis-format log lines (`<pid>:X 26 Nov 2026 12:00:33.123 # message`) to stdout or an append-only logfile.
// Level chars as serverLog: debug '.', verbose '-', notice '*', warning '#'. Role char X = sentinel.
import { appendFileSync } from 'node:fs';
import type { LogLevel } from '../core/types.js';
import { levelRank } from '../core/types.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const LEVEL_CHAR: Record<LogLevel, string> = { debug: '.', verbose: '-', notice: '*', warning: '#' };

export interface Logger {
  log(level: LogLevel, message: string): void;
  /** Whether a message at this level would be written. */
  enabled(level: LogLevel): boolean;
  setLevel(level: LogLevel): void;
}

export function formatLogLine(pid: number, level: LogLevel, message: string, at: Date): string {
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const ts = `${p2(at.getDate())} ${MONTHS[at.getMonth()] ?? 'Jan'} ${at.getFullYear()} ${p2(at.getHours())}:${p2(at.getMinutes())}:${p2(at.getSeconds())}.${String(at.getMilliseconds()).padStart(3, '0')}`;
  return `${pid}:X ${ts} ${LEVEL_CHAR[level]} ${message}`;
}

export function createLogger(opts: { logfile: string; level: LogLevel; pid?: number }): Logger {
  let level = opts.level;
  const pid = opts.pid ?? process.pid;
  // A closed stdout (EPIPE: the reader went away) must not kill the sentinel; Redis ignores failed log writes.
  if (opts.logfile === '' && process.stdout.listenerCount('error') === 0) process.stdout.on('error', () => {});
  return {
    enabled: (l) => levelRank[l] >= levelRank[level],
    setLevel: (l) => {
      level = l;
    },
    log(l, message) {
      if (levelRank[l] < levelRank[level]) return;
      const line = formatLogLine(pid, l, message, new Date()) + '\n';
      if (opts.logfile === '') {
        process.stdout.write(line);
      } else {
        try {
          appendFileSync(opts.logfile, line);
        } catch {
          // Redis silently drops log lines it cannot write; so do we.
        }
      }
    },
  };
}
