// The commands answered by the sentinel runtime through SentinelHost: SENTINEL, PUBLISH, ROLE, SHUTDOWN.
import { R } from '../resp/index.js';
import type { Handler } from './core.js';
import { ERR, err } from './replies.js';

export const sentinel: Handler = (core, s, argv) => {
  const args = argv.slice(1).map((b) => b.toString('utf8'));
  return core.host.sentinelCommand(args, core.clientContext(s));
};

export const publish: Handler = (core, s, argv) => {
  const channel = (argv[1] ?? Buffer.alloc(0)).toString('utf8');
  const message = (argv[2] ?? Buffer.alloc(0)).toString('utf8');
  return core.host.publish(channel, message, core.clientContext(s));
};

export const role: Handler = (core) => {
  return R.array([R.bulk('sentinel'), R.bulks(core.host.masterNames())]);
};

/** SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: always NOSAVE in sentinel mode (server.c). */
export const shutdown: Handler = async (core, s, argv) => {
  let abort = false;
  let save = false;
  let nosave = false;
  for (let i = 1; i < argv.length; i++) {
    const a = (argv[i] ?? Buffer.alloc(0)).toString('latin1').toLowerCase();
    if (a === 'nosave') nosave = true;
    else if (a === 'save') save = true;
    else if (a === 'now' || a === 'force') continue;
    else if (a === 'abort') abort = true;
    else return err(ERR.syntax);
  }
  if ((abort && argv.length !== 2) || (save && nosave)) return err(ERR.syntax);
  if (abort) return err('ERR No shutdown in progress.');
  core.options.logger('warning', `User requested shutdown... (client id=${s.id} addr=${s.addr})`);
  try {
    await core.host.shutdown();
  } catch (e) {
    core.options.logger('warning', `SHUTDOWN failed: ${e instanceof Error ? e.message : String(e)}`);
    return err(ERR.shutdownFailed);
  }
  // The process normally exits inside host.shutdown(); if it did not, close this client like Redis would.
  s.closeAfterReply = true;
  return undefined;
};
