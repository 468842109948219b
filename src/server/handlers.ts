// Top-level command name -> handler. Subcommand dispatch happens inside each family's handler.
import type { Handler } from './core.js';
import { acl } from './cmd-acl.js';
import { client } from './cmd-client.js';
import { command } from './cmd-command.js';
import { auth, hello, ping } from './cmd-connection.js';
import { info } from './cmd-info.js';
import { psubscribe, punsubscribe, subscribe, unsubscribe } from './cmd-pubsub.js';
import { publish, role, sentinel, shutdown } from './cmd-sentinel.js';

export const HANDLERS: Readonly<Record<string, Handler>> = {
  acl,
  auth,
  client,
  command,
  hello,
  info,
  ping,
  psubscribe,
  publish,
  punsubscribe,
  role,
  sentinel,
  shutdown,
  subscribe,
  unsubscribe,
};
