// `vigil proxy`: command-line front end of the master-following proxy (src/proxy). Parses flags and an optional
// JSON config file, starts the proxy, and runs until SIGINT/SIGTERM. Also runnable directly:
//   node --import tsx src/cli/proxy.ts --sentinels 127.0.0.1:26379 --master-name mymaster --listen 127.0.0.1:6380
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import {
  startProxy,
  ProxyConfigError,
  type ProxyOptions,
  type ProxyMasterOptions,
  type ProxyHandle,
} from '../proxy/index.js';

export const PROXY_USAGE = `usage: vigil proxy --sentinels host:port[,host:port...] --master-name NAME --listen host:port
                   [--sentinel-username U] [--sentinel-password P] [--config file.json]
                   [--http host:port] [--max-hold-ms 5000] [--max-failover-ms 60000] [--poll-ms 1000]
                   [--quorum N] [--no-fast-path] [--mux] [--threads 2] [--idle-timeout-ms 0] [--max-clients N]
                   [--fail-closed-after-ms 0] [--bind-source-addr IP]
                   [--redis-username U] [--redis-password P]
                   [--sentinel-tls] [--redis-tls] [--tls-ca-cert-file F] [--tls-cert-file F] [--tls-key-file F]
                   [--log-format json|text] [--debug]
See docs/proxy.md for the config file format and the switching rule.`;

interface FileConfig {
  sentinels?: string | string[];
  sentinelUsername?: string;
  sentinelPassword?: string;
  redisUsername?: string;
  redisPassword?: string;
  sentinelTls?: boolean;
  redisTls?: boolean;
  tlsCaCertFile?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  http?: string;
  maxHoldMs?: number;
  maxFailoverMs?: number;
  pollIntervalMs?: number;
  fastPath?: boolean;
  mux?: boolean;
  threads?: number;
  idleTimeoutMs?: number;
  bindSourceAddr?: string;
  maxClients?: number;
  failClosedAfterMs?: number;
  logFormat?: 'json' | 'text';
  masters?: Array<{ name: string; listen: string; sentinels?: string | string[]; quorum?: number }>;
}

function num(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new ProxyConfigError(`${flag} expects a non-negative number, got '${v}'`);
  return n;
}

function sentinelText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}

/** Build ProxyOptions from argv (flags override the config file). Exported for tests. */
export function parseProxyArgs(argv: string[]): ProxyOptions & { debug: boolean } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      sentinels: { type: 'string' },
      'master-name': { type: 'string' },
      listen: { type: 'string' },
      'sentinel-username': { type: 'string' },
      'sentinel-password': { type: 'string' },
      'redis-username': { type: 'string' },
      'redis-password': { type: 'string' },
      'sentinel-tls': { type: 'boolean' },
      'redis-tls': { type: 'boolean' },
      'tls-ca-cert-file': { type: 'string' },
      'tls-cert-file': { type: 'string' },
      'tls-key-file': { type: 'string' },
      config: { type: 'string' },
      http: { type: 'string' },
      'max-hold-ms': { type: 'string' },
      'max-failover-ms': { type: 'string' },
      'poll-ms': { type: 'string' },
      quorum: { type: 'string' },
      'no-fast-path': { type: 'boolean' },
      mux: { type: 'boolean' },
      threads: { type: 'string' },
      'idle-timeout-ms': { type: 'string' },
      'bind-source-addr': { type: 'string' },
      'max-clients': { type: 'string' },
      'fail-closed-after-ms': { type: 'string' },
      'log-format': { type: 'string' },
      debug: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) throw new HelpRequested();
  let file: FileConfig = {};
  if (values.config !== undefined) {
    let text: string;
    try {
      text = readFileSync(values.config, 'utf8');
    } catch (err) {
      throw new ProxyConfigError(
        `cannot read config ${values.config}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    try {
      file = JSON.parse(text) as FileConfig;
    } catch (err) {
      throw new ProxyConfigError(
        `config ${values.config} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (typeof file !== 'object' || file === null)
      throw new ProxyConfigError(`config ${values.config} must be a JSON object`);
  }
  const masters: ProxyMasterOptions[] = (file.masters ?? []).map((m) => {
    if (typeof m?.name !== 'string' || typeof m.listen !== 'string') {
      throw new ProxyConfigError('each entry of "masters" needs "name" and "listen" strings');
    }
    const out: ProxyMasterOptions = { name: m.name, listen: m.listen };
    const s = sentinelText(m.sentinels);
    if (s !== undefined) out.sentinels = s;
    if (m.quorum !== undefined) out.quorum = m.quorum;
    return out;
  });
  const quorum = num(values.quorum, '--quorum');
  if (values['master-name'] !== undefined || values.listen !== undefined) {
    if (values['master-name'] === undefined || values.listen === undefined) {
      throw new ProxyConfigError('--master-name and --listen go together');
    }
    const m: ProxyMasterOptions = { name: values['master-name'], listen: values.listen };
    if (quorum !== undefined) m.quorum = quorum;
    masters.unshift(m);
  }
  if (masters.length === 0)
    throw new ProxyConfigError('nothing to proxy: give --master-name and --listen, or --config');
  const opts: ProxyOptions & { debug: boolean } = { masters, debug: values.debug ?? false };
  const sentinels = values.sentinels ?? sentinelText(file.sentinels);
  if (sentinels !== undefined) opts.sentinels = sentinels;
  const set = <K extends keyof ProxyOptions>(k: K, v: ProxyOptions[K] | undefined): void => {
    if (v !== undefined) (opts as ProxyOptions)[k] = v;
  };
  set('sentinelUsername', values['sentinel-username'] ?? file.sentinelUsername);
  set('sentinelPassword', values['sentinel-password'] ?? file.sentinelPassword);
  set('redisUsername', values['redis-username'] ?? file.redisUsername);
  set('redisPassword', values['redis-password'] ?? file.redisPassword);
  const sentinelTls = values['sentinel-tls'] ?? file.sentinelTls ?? false;
  const redisTls = values['redis-tls'] ?? file.redisTls ?? false;
  if (sentinelTls || redisTls) {
    const tlsOpts = proxyTlsOptions(
      values['tls-ca-cert-file'] ?? file.tlsCaCertFile,
      values['tls-cert-file'] ?? file.tlsCertFile,
      values['tls-key-file'] ?? file.tlsKeyFile,
    );
    if (sentinelTls) opts.sentinelTls = tlsOpts;
    if (redisTls) opts.redisTls = tlsOpts;
    if (redisTls && (values.mux ?? file.mux) === true) {
      throw new ProxyConfigError('--mux reads RESP and cannot carry TLS clients; drop --mux with --redis-tls');
    }
  }
  set('http', values.http ?? file.http);
  set('maxHoldMs', num(values['max-hold-ms'], '--max-hold-ms') ?? file.maxHoldMs);
  set('maxFailoverMs', num(values['max-failover-ms'], '--max-failover-ms') ?? file.maxFailoverMs);
  set('pollIntervalMs', num(values['poll-ms'], '--poll-ms') ?? file.pollIntervalMs);
  set('idleTimeoutMs', num(values['idle-timeout-ms'], '--idle-timeout-ms') ?? file.idleTimeoutMs);
  set('failClosedAfterMs', num(values['fail-closed-after-ms'], '--fail-closed-after-ms') ?? file.failClosedAfterMs);
  set('maxClients', num(values['max-clients'], '--max-clients') ?? file.maxClients);
  const bindSource = values['bind-source-addr'] ?? file.bindSourceAddr;
  if (bindSource !== undefined && isIP(bindSource) === 0)
    throw new ProxyConfigError(`--bind-source-addr expects an IP address, got '${bindSource}'`);
  set('bindSourceAddr', bindSource);
  set('fastPath', values['no-fast-path'] ? false : file.fastPath);
  set('mux', values.mux ? true : file.mux);
  set('pumpThreads', num(values.threads, '--threads') ?? file.threads);
  const fmt = values['log-format'] ?? file.logFormat;
  if (fmt !== undefined && fmt !== 'json' && fmt !== 'text')
    throw new ProxyConfigError(`--log-format must be json or text`);
  set('logFormat', fmt);
  return opts;
}

/**
 * Client-side TLS for the control plane, as Redis's own clients do it: the peer's chain is verified against the
 * CA, not its name (instances are addressed by IP); a client certificate when the servers require one.
 */
function proxyTlsOptions(ca: string | undefined, cert: string | undefined, key: string | undefined): ConnectionOptions {
  if (ca === undefined) throw new ProxyConfigError('--sentinel-tls/--redis-tls need --tls-ca-cert-file');
  if ((cert === undefined) !== (key === undefined)) {
    throw new ProxyConfigError('--tls-cert-file and --tls-key-file go together');
  }
  const read = (flag: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ProxyConfigError(`${flag} ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const o: ConnectionOptions = { ca: read('--tls-ca-cert-file', ca), checkServerIdentity: () => undefined };
  if (cert !== undefined && key !== undefined) {
    o.cert = read('--tls-cert-file', cert);
    o.key = read('--tls-key-file', key);
  }
  return o;
}

class HelpRequested extends Error {}

/** Entry point used by the `vigil` dispatcher. Resolves when the proxy has shut down after SIGINT/SIGTERM. */
export async function runProxyCli(argv: string[]): Promise<void> {
  let handle: ProxyHandle;
  let debug = argv.includes('--debug');
  try {
    const opts = parseProxyArgs(argv);
    debug = opts.debug;
    handle = await startProxy(opts);
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(PROXY_USAGE + '\n');
      return;
    }
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`vigil proxy: ${msg}\n`);
    if (debug && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
    if (!(err instanceof ProxyConfigError)) process.stderr.write(PROXY_USAGE + '\n');
    process.exitCode = 1;
    return;
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void handle.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runProxyCli(process.argv.slice(2));
}
