// The sentinel process: `vigil-sentinel /path/to/sentinel.conf [--port N] [--<directive> value ...]`, a drop-in
// for `redis-sentinel` (src/cli/sentinel-main.ts is the entry file that runs it; `vigil sentinel` calls it too). Loads the config (exiting like Redis when it is missing or not writable), starts the
// sentinel runtime and the inbound RESP server, flushes the config on SIGTERM/SIGINT and exits.
import { accessSync, constants as fsConstants, openSync, readFileSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LogLevel } from '../core/types.js';
import { startServer } from '../server/server.js';
import type { ServerOptions } from '../server/options.js';
import { ConfigError, ConfigFileError, REDIS_VERSION, argvToConfigLines, formatConfigError } from '../config/index.js';
import { loadSentinelConfig } from '../runtime/config-io.js';
import { createLogger, formatLogLine } from '../runtime/logger.js';
import { SentinelRuntime } from '../runtime/runtime.js';
import { loadTlsMaterial, wantsTls, type TlsMaterial } from '../runtime/tls.js';
// The HTTP endpoint (and prom-client, ~13 MB of RSS) is loaded only when it is configured: see below.
import type { SentinelHttp } from '../http/sentinel-api.js';
import { parseHostPort } from '../http/host-port.js';
import type { SentinelGlobals } from '../config/types.js';

/** The vigil-http-* directives as read, written back unchanged on every rewrite (the core does not keep them). */
function httpDirectives(g: SentinelGlobals): Partial<SentinelGlobals> {
  const out: Partial<SentinelGlobals> = {};
  if (g.vigilHttpPort !== undefined) out.vigilHttpPort = g.vigilHttpPort;
  if (g.vigilHttpBind !== undefined) out.vigilHttpBind = g.vigilHttpBind;
  if (g.vigilHttpToken !== undefined) out.vigilHttpToken = g.vigilHttpToken;
  return out;
}
import { limitOptions } from '../server/limits.js';

function early(message: string, level: LogLevel = 'warning'): void {
  process.stdout.write(formatLogLine(process.pid, level, message, new Date()) + '\n');
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The start-up warning for a sentinel anyone can command: listening on every interface (no `bind`, or a wildcard)
 * with protected mode off (the sentinel default) and a default user that needs no password. Redis behaves the same
 * and stays compatible here; the warning names the one-line fix. Null when the sentinel is not open.
 */
export function openByDefaultWarning(
  bind: readonly string[],
  protectedMode: boolean,
  defaultUser: { enabled: boolean; nopass: boolean },
  port: number,
): string | null {
  const wildcard = bind.length === 0 || bind.some((a) => /^-?(\*|0\.0\.0\.0|::|::\*)$/.test(a));
  if (!wildcard || protectedMode || !defaultUser.enabled || !defaultUser.nopass) return null;
  return (
    `WARNING: this sentinel accepts commands from anyone who can reach port ${port} on any interface ` +
    `(no 'bind', no password; Redis does the same). Fix: add 'bind 127.0.0.1 <private-ip>' or ` +
    `'requirepass <password>' to sentinel.conf.`
  );
}

export interface RunningSentinel {
  runtime: SentinelRuntime;
  /** The HTTP endpoint, null when off (the default). */
  http: SentinelHttp | null;
  port: number;
  stop(): Promise<void>;
}

/**
 * Start a sentinel from `argv` (without the node/script words): `[configPath, ...options]`.
 * Exits the process with code 1 on configuration errors, like redis-sentinel.
 */
export async function runSentinel(argvIn: string[]): Promise<RunningSentinel> {
  // `--http host:port` (Vigil): the HTTP endpoint for this run only (not written to the config file).
  const argv = [...argvIn];
  let httpArg: { host: string; port: number } | undefined;
  const hi = argv.indexOf('--http');
  if (hi >= 0) {
    const parsed = parseHostPort(argv[hi + 1] ?? '');
    if (!parsed) {
      early(`Invalid --http value '${argv[hi + 1] ?? ''}': use host:port, e.g. --http 127.0.0.1:9479`);
      process.exit(1);
    }
    httpArg = parsed;
    argv.splice(hi, 2);
  }
  const [confArg, ...rest] = argv;
  const store = await loadSentinelConfig(
    confArg !== undefined && !confArg.startsWith('--') ? confArg : undefined,
    argvToConfigLines(confArg !== undefined && confArg.startsWith('--') ? argv : rest),
    (m) => early(m),
  ).catch((e: unknown) => {
    if (e instanceof ConfigError) {
      process.stderr.write(`\n${formatConfigError(e)}\n`);
    } else if (e instanceof ConfigFileError) {
      early(e.message);
    } else {
      early(`Fatal error loading the configuration: ${(e as Error).message}`);
    }
    process.exit(1);
  });
  const cfg = store.config;
  if (cfg.server.dir !== undefined && cfg.server.dir !== '') {
    try {
      process.chdir(cfg.server.dir);
    } catch (e) {
      early(`Can't chdir to '${cfg.server.dir}': ${(e as Error).message}`);
      process.exit(1);
    }
  }
  const logger = createLogger({ logfile: cfg.server.logfile, level: cfg.server.loglevel });
  // TLS (Redis 7.0's directives): certificates are read after the chdir to `dir`, like Redis.
  let tlsMaterial: TlsMaterial | undefined;
  if (wantsTls(cfg.server.tls)) {
    try {
      tlsMaterial = loadTlsMaterial(cfg.server.tls);
    } catch (e) {
      early(`Failed to configure TLS. Check logs for more info. (${(e as Error).message})`);
      process.exit(1);
    }
  }
  if (cfg.server.port === 0 && cfg.server.tlsPort === 0) {
    early('Configured to not listen anywhere (port 0 and no tls-port), exiting.');
    process.exit(1);
  }

  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  const exit = (code: number): void => {
    const done = (): never => process.exit(code);
    if (server) void server.close().then(done, done);
    else done();
  };
  const runtimeOpts: ConstructorParameters<typeof SentinelRuntime>[0] = {
    globals: cfg.sentinel,
    masters: cfg.masters,
    // The port announced in hellos: tls-port when the links between sentinels are TLS (Redis's rule).
    port: cfg.server.tlsReplication && cfg.server.tlsPort > 0 ? cfg.server.tlsPort : cfg.server.port,
    logger,
    // SENTINEL CONFIG SET loglevel (Redis 7.2): the logger, and the options the next rewrite writes back.
    logLevel: {
      get: () => cfg.server.loglevel,
      set: (level) => {
        cfg.server.loglevel = level;
        logger.setLevel(level);
      },
    },
    // Redis writes the live ACL state on every rewrite (users normalised as ACL LIST prints them).
    persist: (state) =>
      store.persist(
        { ...state, ...httpDirectives(cfg.sentinel) },
        server ? { aclUsers: [...server.core.acl.users.values()].map((u) => u.describeTokens()) } : {},
      ),
    exit,
    isExecutable,
  };
  if (cfg.server.requirepass !== undefined) runtimeOpts.requirepass = cfg.server.requirepass;
  if (cfg.server.bindSourceAddr !== undefined) runtimeOpts.bindSourceAddr = cfg.server.bindSourceAddr;
  if (tlsMaterial && cfg.server.tlsReplication) runtimeOpts.tlsClient = () => tlsMaterial!.client;
  const tracePath = process.env.VIGIL_TRACE_FILE;
  if (tracePath) {
    // Debugging aid (docs/testing.md): every input of the core, for `vigil replay-trace`. Written synchronously so
    // a crash loses nothing; it holds the config's passwords and every hello, hence mode 0600.
    const fd = openSync(tracePath, 'a', 0o600);
    runtimeOpts.trace = (line) => writeSync(fd, line + '\n');
    logger.log('warning', `Recording the core's inputs to ${tracePath} (VIGIL_TRACE_FILE): for debugging only`);
  }
  const runtime = new SentinelRuntime(runtimeOpts);

  const serverOpts: ServerOptions = {
    port: cfg.server.port,
    protectedMode: cfg.server.protectedMode,
    users: cfg.server.users,
    maxclients: cfg.server.maxclients,
    idleTimeoutMs: cfg.server.clientIdleTimeoutSec * 1000,
    tcpKeepAliveMs: cfg.server.tcpKeepaliveSec * 1000,
    logger: (level, message) => logger.log(level, message),
    identity: { configFile: store.path, executable: resolve(process.argv[1] ?? 'vigil-sentinel') },
    // client-query-buffer-limit, proto-max-bulk-len, client-output-buffer-limit (parsed but not applied before).
    ...limitOptions(cfg.server.other),
  };
  if (cfg.server.bind.length > 0) serverOpts.bind = cfg.server.bind;
  if (cfg.server.requirepass !== undefined) serverOpts.requirepass = cfg.server.requirepass;

  logger.log('notice', `Vigil sentinel starting, pid=${process.pid}, port=${cfg.server.port}`);
  try {
    server = await startServer(serverOpts, runtime, {
      plain: cfg.server.port !== 0,
      ...(tlsMaterial && cfg.server.tlsPort > 0
        ? { tls: { port: cfg.server.tlsPort, options: tlsMaterial.server } }
        : {}),
    });
  } catch (e) {
    const kind = cfg.server.port === 0 ? 'tls' : 'tcp';
    logger.log(
      'warning',
      `Failed listening on port ${cfg.server.port || cfg.server.tlsPort} (${kind}), aborting: ${(e as Error).message}`,
    );
    process.exit(1);
  }
  let http: SentinelHttp | null = null;
  const httpPort = httpArg?.port ?? cfg.sentinel.vigilHttpPort ?? 0;
  if (httpArg !== undefined || httpPort !== 0) {
    const host = httpArg?.host ?? cfg.sentinel.vigilHttpBind ?? '127.0.0.1';
    try {
      const { startSentinelHttp } = await import('../http/sentinel-api.js');
      http = await startSentinelHttp(runtime, {
        host,
        port: httpPort,
        ...(cfg.sentinel.vigilHttpToken !== undefined ? { token: cfg.sentinel.vigilHttpToken } : {}),
        log: (m) => logger.log('warning', m),
      });
      logger.log('notice', `HTTP endpoint (metrics, API, dashboard) listening on ${http.endpoint.url}`);
    } catch (e) {
      logger.log('warning', `Failed listening on HTTP ${host}:${httpPort}, aborting: ${(e as Error).message}`);
      process.exit(1);
    }
  }
  await runtime.start();
  const open = openByDefaultWarning(
    cfg.server.bind,
    cfg.server.protectedMode,
    server.core.acl.defaultUser,
    cfg.server.port || cfg.server.tlsPort,
  );
  if (open !== null) logger.log('warning', open);
  logger.log('notice', 'Ready to accept connections');

  const onSignal = (sig: string): void => {
    logger.log('warning', `Received ${sig} scheduling shutdown...`);
    void runtime.shutdown();
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  // Redis ignores SIGHUP; Vigil re-reads the TLS certificates on it (Node's default would end the process).
  process.on('SIGHUP', () => {
    if (!tlsMaterial) {
      logger.log('notice', 'Received SIGHUP: nothing to reload (no TLS configured)');
      return;
    }
    try {
      const fresh = loadTlsMaterial(cfg.server.tls);
      tlsMaterial = fresh;
      server?.reloadTls(fresh.server);
      logger.log('notice', 'Received SIGHUP: TLS certificates reloaded');
    } catch (e) {
      logger.log(
        'warning',
        `Received SIGHUP: TLS reload failed, keeping the old certificates: ${(e as Error).message}`,
      );
    }
  });

  const running = server;
  return {
    runtime,
    port: running.port || running.tlsPort,
    http,
    stop: async () => {
      runtime.stop();
      await http?.close();
      await running.close();
    },
  };
}

/** This package's version (package.json two levels up from src/cli or dist/cli). */
export function vigilVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const SENTINEL_USAGE = `Usage: vigil-sentinel /path/to/sentinel.conf [options]
       vigil-sentinel -v or --version
       vigil-sentinel -h or --help

A drop-in for redis-sentinel ${REDIS_VERSION}: options are config directives, e.g. --port 26380.
Examples:
       vigil-sentinel /etc/vigil/sentinel.conf
       vigil-sentinel /etc/vigil/sentinel.conf --port 26380 --loglevel verbose`;

/** Entry point body: run the sentinel from `argv`, ending the process (code 1) on an unexpected error. */
export function sentinelMain(argv: string[]): void {
  // Like redis-sentinel: -v/--version and -h/--help as the only argument.
  if (argv.length === 1 && (argv[0] === '-v' || argv[0] === '--version')) {
    process.stdout.write(
      `Vigil sentinel v=${vigilVersion()} redis-sentinel-compatible=${REDIS_VERSION} node=${process.version}\n`,
    );
    return;
  }
  if (argv.length === 1 && (argv[0] === '-h' || argv[0] === '--help')) {
    process.stdout.write(`${SENTINEL_USAGE}\n`);
    return;
  }
  runSentinel(argv).catch((e: unknown) => {
    early(`Fatal: ${(e as Error).message}`);
    process.exit(1);
  });
}
