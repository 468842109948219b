// COMMAND and its subcommands over the 15-command sentinel table.
import { R } from '../resp/index.js';
import type { Out } from '../resp/index.js';
import {
  ACL_CATEGORIES,
  allCommands,
  commandDocs,
  commandInfoReply,
  lookupByFullName,
  lookupTop,
  topLevelCommands,
  type AclCategory,
  type CommandEntry,
  type SubcommandName,
} from './command-table.js';
import type { Handler } from './core.js';
import { globMatch } from '../core/glob.js';
import { ERR, err, helpReply } from './replies.js';

const COMMAND_HELP = [
  'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  '(no subcommand)',
  '    Return details about all Redis commands.',
  'COUNT',
  '    Return the total number of commands in this Redis server.',
  'LIST',
  '    Return a list of all commands in this Redis server.',
  'INFO [<command-name> ...]',
  '    Return details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'DOCS [<command-name> ...]',
  '    Return documentation details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'GETKEYS <full-command>',
  '    Return the keys from a full Redis command.',
  'GETKEYSANDFLAGS <full-command>',
  '    Return the keys and the access flags from a full Redis command.',
  'HELP',
  '    Prints this help.',
];

function list(args: string[]): Out {
  if (args.length === 0) return R.bulks(allCommands.map((c) => c.name));
  if (args.length !== 3 || (args[0] ?? '').toLowerCase() !== 'filterby') return err(ERR.syntax);
  const kind = (args[1] ?? '').toLowerCase();
  const value = args[2] ?? '';
  let pick: (c: CommandEntry) => boolean;
  if (kind === 'module') pick = () => false;
  else if (kind === 'aclcat') {
    const cat = value.toLowerCase();
    pick = (ACL_CATEGORIES as readonly string[]).includes(cat)
      ? (c) => c.categories.includes(cat as AclCategory)
      : () => false;
  } else if (kind === 'pattern') pick = (c) => globMatch(value, c.name, true);
  else return err(ERR.syntax);
  return R.bulks(allCommands.filter(pick).map((c) => c.name));
}

/** Command lookup as COMMAND GETKEYS does it: the container, then its subcommand when there is one. */
function lookupArgv(args: string[]): CommandEntry | undefined {
  const top = lookupTop(args[0] ?? '');
  if (!top) return undefined;
  if (top.subList.length === 0 || args.length < 2) return top;
  return top.subs.get((args[1] ?? '').toLowerCase());
}

export const command: Handler = (_core, _s, argv, cmd) => {
  if (!cmd.parent) return R.array(topLevelCommands.map(commandInfoReply));
  const args = argv.slice(2).map((b) => b.toString('latin1'));
  switch (cmd.name as SubcommandName<'command'>) {
    case 'command|help':
      return helpReply(COMMAND_HELP);
    case 'command|count':
      return R.int(topLevelCommands.length);
    case 'command|list':
      return list(args);
    case 'command|info': {
      if (args.length === 0) return R.array(topLevelCommands.map(commandInfoReply));
      return R.array(
        args.map((n) => {
          const c = lookupByFullName(n);
          return c ? commandInfoReply(c) : R.null;
        }),
      );
    }
    case 'command|docs': {
      const pairs: Array<[Out, Out]> = [];
      const targets = args.length === 0 ? topLevelCommands : args.map((n) => lookupByFullName(n));
      for (const c of targets) {
        if (!c) continue;
        const d = commandDocs(c);
        if (d) pairs.push([R.bulk(c.name), d]);
      }
      return R.map(pairs);
    }
    case 'command|getkeys':
    case 'command|getkeysandflags': {
      const c = lookupArgv(args);
      if (!c) return err(ERR.invalidCommand);
      // No sentinel-mode command takes keys.
      return err(ERR.noKeyArgs);
    }
  }
  // Unreachable: resolve() only hands this handler the captured subcommands, all handled above.
  return err(ERR.syntax);
};
