// `vigil` command dispatcher (bin/vigil runs the compiled copy). Each subcommand lives in its own module and returns
// an exit code; errors become one line on stderr (`vigil: <what is wrong and what to do>`), stacks only with --debug.
import { UserError, err } from './common.js';
import { UP_HELP } from './up.js';
import { DOWN_HELP } from './down.js';
import { STATUS_HELP } from './status.js';
import { FAILOVER_HELP } from './failover.js';
import { DEMO_HELP } from './demo.js';

const HELP = `vigil — Redis high availability: a drop-in Sentinel, a master-following proxy, a local HA cluster.

Usage:
  ${UP_HELP.split('\n').join('\n  ')}
  ${DOWN_HELP}
  ${STATUS_HELP}
  ${FAILOVER_HELP}
  ${DEMO_HELP.split('\n').join('\n  ')}
  vigil sentinel <sentinel.conf> [--port N] [--<directive> args...]   run a sentinel (same as vigil-sentinel)
  vigil proxy [options]                 run the master-following proxy (vigil proxy --help)
  vigil replay-trace <file>             replay a VIGIL_TRACE_FILE recording through the core; report the first
                                        difference (exit 1) or that it replayed identically (exit 0)
  vigil help                            this text

Add --debug to any command for stack traces.`;

/** A subcommand entry; a numeric result is the exit code, anything else (e.g. a running server handle) is not. */
type Runner = (argv: string[]) => unknown;

function exitCodeOf(result: unknown): number | undefined {
  return typeof result === 'number' && Number.isInteger(result) ? result : undefined;
}

/** Loads an optional subcommand module by a computed path so this file typechecks before that module exists. */
async function optional(file: string, exportName: string, what: string): Promise<Runner> {
  const spec = `./${file}`;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(spec)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(file.replace(/\.js$/, ''))) {
      throw new UserError(
        `${what} is not available in this build (${file} is missing): update vigil and run \`npm run build\``,
      );
    }
    throw e;
  }
  const fn = mod[exportName];
  if (typeof fn !== 'function')
    throw new UserError(`${what} is not available in this build (${file} has no ${exportName})`);
  return fn as Runner;
}

/** Resolves with the exit code, or undefined when the subcommand set process.exitCode itself. */
async function dispatch(argv: string[]): Promise<number | undefined> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'up':
      return (await import('./up.js')).runUp(rest);
    case 'down':
      return (await import('./down.js')).runDown(rest);
    case 'status':
      return (await import('./status.js')).runStatus(rest);
    case 'failover':
      return (await import('./failover.js')).runFailover(rest);
    case 'demo':
      return (await import('./demo.js')).runDemo(rest);
    case 'sentinel':
      return exitCodeOf(await (await optional('sentinel.js', 'runSentinel', 'the Vigil sentinel'))(rest));
    case 'proxy':
      return exitCodeOf(await (await optional('proxy.js', 'runProxyCli', 'the proxy'))(rest));
    case 'replay-trace':
      return (await import('./replay-trace.js')).runReplayTrace(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP + '\n');
      return 0;
    default:
      throw new UserError(`unknown command '${cmd}': run \`vigil help\` for the list`, 2);
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const debug = argv.includes('--debug');
  // sentinel and proxy are long-running servers that end on their own terms; the cluster commands are done when
  // they return, even if a client library still holds a socket.
  const server = argv[0] === 'sentinel' || argv[0] === 'proxy';
  let failed = false;
  try {
    const code = await dispatch(argv);
    if (code !== undefined) process.exitCode = code;
  } catch (e) {
    failed = true;
    process.exitCode = e instanceof UserError ? e.exitCode : 1;
    const code = (e as { code?: unknown }).code;
    if (e instanceof UserError || (typeof code === 'string' && code.startsWith('VIGIL_ERR_'))) {
      err(`vigil: ${(e as Error).message}`);
    } else {
      err(`vigil: unexpected error: ${e instanceof Error ? e.message : String(e)} (run with --debug for details)`);
    }
    if (debug && e instanceof Error && e.stack) err(e.stack);
  }
  if (!server || failed) process.exit();
}

await main();
