// ACL and its subcommands over the in-memory user table (acl.ts). There is no ACL file in sentinel mode here:
// LOAD and SAVE answer with Redis's "not configured to use an ACL file" error.
import { randomBytes } from 'node:crypto';
import { R } from '../resp/index.js';
import type { Out } from '../resp/index.js';
import { AclRuleError, USERNAME_SPACES, hasSpaceOrNul } from './acl.js';
import { ACL_CATEGORIES, commandsInCategory, resolve, type AclCategory, type SubcommandName } from './command-table.js';
import type { Handler, ServerCore } from './core.js';
import { parseIntStrict } from './cmd-client.js';
import { ERR, err, errBytes, helpReply, wrongArity } from './replies.js';

const ACL_HELP = [
  'ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CAT [<category>]',
  '    List all commands that belong to <category>, or all command categories',
  '    when no category is specified.',
  'DELUSER <username> [<username> ...]',
  '    Delete a list of users.',
  'DRYRUN <username> <command> [<arg> ...]',
  '    Returns whether the user can execute the given command without executing the command.',
  'GETUSER <username>',
  "    Get the user's details.",
  'GENPASS [<bits>]',
  '    Generate a secure 256-bit user password. The optional `bits` argument can',
  '    be used to specify a different size.',
  'LIST',
  '    Show users details in config file format.',
  'LOAD',
  '    Reload users from the ACL file.',
  'LOG [<count> | RESET]',
  '    Show the ACL log entries.',
  'SAVE',
  '    Save the current config to the ACL file.',
  'SETUSER <username> <attribute> [<attribute> ...]',
  '    Create or modify a user with the specified attributes.',
  'USERS',
  '    List all the registered usernames.',
  'WHOAMI',
  '    Return the current connection username.',
  'HELP',
  '    Prints this help.',
];

function sortedNames(core: ServerCore): string[] {
  return [...core.acl.users.keys()].sort((a, b) => Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')));
}

function bulkL(s: string): Out {
  return R.bulk(Buffer.from(s, 'latin1'));
}

function log(core: ServerCore, args: string[]): Out {
  let count = 10;
  if (args.length === 1) {
    const a = args[0] ?? '';
    if (a.toLowerCase() === 'reset') {
      core.acl.log.length = 0;
      return R.ok;
    }
    const n = parseIntStrict(a);
    if (n === undefined || n < 0) return err(ERR.notInt);
    count = n;
  } else if (args.length > 1) return err(ERR.syntax);
  const now = core.options.now();
  return R.array(
    core.acl.log.slice(0, count).map((e) =>
      R.map([
        [R.bulk('count'), R.int(e.count)],
        [R.bulk('reason'), R.bulk(e.reason)],
        [R.bulk('context'), R.bulk(e.context)],
        [R.bulk('object'), bulkL(e.object)],
        [R.bulk('username'), bulkL(e.username)],
        [R.bulk('age-seconds'), R.double((now - e.createdAtMs) / 1000)],
        [R.bulk('client-info'), bulkL(e.clientInfo)],
      ]),
    ),
  );
}

export const acl: Handler = (core, s, argv, cmd) => {
  const args = argv.slice(2).map((b) => b.toString('latin1'));
  switch (cmd.name as SubcommandName<'acl'>) {
    case 'acl|help':
      return helpReply(ACL_HELP);
    case 'acl|whoami':
      return bulkL(s.userName);
    case 'acl|users':
      return R.array(sortedNames(core).map(bulkL));
    case 'acl|list':
      return R.array(
        sortedNames(core).map((n) => {
          const u = core.acl.users.get(n);
          return bulkL(u ? u.describe() : '');
        }),
      );
    case 'acl|getuser': {
      const u = core.acl.users.get(args[0] ?? '');
      if (!u) return R.null;
      return R.map([
        [R.bulk('flags'), R.set(u.flagList().map((f) => R.bulk(f)))],
        [R.bulk('passwords'), R.array(u.passwords.map((p) => R.bulk(p)))],
        [R.bulk('commands'), bulkL(u.describeCommands())],
        [R.bulk('keys'), bulkL(u.keysDescription())],
        [R.bulk('channels'), bulkL(u.channelsDescription())],
        [R.bulk('selectors'), R.array([])],
      ]);
    }
    case 'acl|setuser': {
      const name = args[0] ?? '';
      if (hasSpaceOrNul(name)) return errBytes(`ERR ${USERNAME_SPACES}`);
      try {
        core.acl.setUser(name, args.slice(1));
      } catch (e) {
        if (e instanceof AclRuleError) return errBytes(`ERR ${e.message}`);
        throw e;
      }
      return R.ok;
    }
    case 'acl|deluser': {
      let deleted = 0;
      for (const n of args) {
        if (n === 'default') return err(ERR.deleteDefault);
      }
      for (const n of args) {
        if (!core.acl.users.delete(n)) continue;
        deleted++;
        // Redis frees the user and kills every client authenticated as that user.
        for (const t of [...core.sessions.values()]) {
          if (t.userName !== n) continue;
          if (t === s) t.closeAfterReply = true;
          else core.requestClose(t, false);
        }
      }
      return R.int(deleted);
    }
    case 'acl|cat': {
      if (args.length === 0) return R.bulks([...ACL_CATEGORIES]);
      if (args.length > 1) return wrongArity('acl|cat');
      const cat = (args[0] ?? '').toLowerCase();
      if (!(ACL_CATEGORIES as readonly string[]).includes(cat))
        return errBytes(`ERR Unknown category '${args[0] ?? ''}'`);
      return R.bulks(commandsInCategory(cat as AclCategory).map((c) => c.name));
    }
    case 'acl|genpass': {
      let bits = 256;
      if (args.length === 1) {
        const n = parseIntStrict(args[0] ?? '');
        if (n === undefined) return err(ERR.notInt);
        if (n <= 0 || n > 4096) return err(ERR.genpass);
        bits = n;
      } else if (args.length > 1) return wrongArity('acl|genpass');
      const chars = Math.ceil(bits / 4);
      return R.bulk(
        randomBytes(Math.ceil(chars / 2))
          .toString('hex')
          .slice(0, chars),
      );
    }
    case 'acl|log':
      return log(core, args);
    case 'acl|load':
    case 'acl|save':
      return err(ERR.aclNoFile);
    case 'acl|dryrun': {
      const u = core.acl.users.get(args[0] ?? '');
      if (!u) return errBytes(`ERR User '${args[0] ?? ''}' not found`);
      const sub = args.slice(1);
      const r = resolve(sub);
      if (r.kind === 'unknown-command' || r.kind === 'unknown-subcommand') {
        return errBytes(`ERR Command '${sub[0] ?? ''}' not found`);
      }
      if (r.kind === 'arity') return wrongArity(r.cmd.name);
      const c = r.cmd;
      if (!u.canRun(c, c.parent ? undefined : sub[1])) {
        return bulkL(`This user has no permissions to run the '${c.name}' command`);
      }
      const channelCmd = c.name === 'subscribe' || c.name === 'psubscribe' || c.name === 'publish';
      if (channelCmd && !u.allChannels) {
        const last = c.name === 'publish' ? 1 : sub.length - 1;
        for (let i = 1; i <= last; i++) {
          const ch = sub[i] ?? '';
          if (!u.canUseChannel(ch, c.name === 'psubscribe')) {
            return bulkL(`This user has no permissions to access the '${ch}' channel`);
          }
        }
      }
      return R.ok;
    }
  }
  // Unreachable: resolve() only hands this handler the captured subcommands, all handled above.
  return err(ERR.syntax);
};
