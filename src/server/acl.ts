// A compact ACL model with Redis 7.0 semantics for the sentinel-mode command table: users (on/off, passwords,
// nopass), command rules (+@cat, -@cat, +cmd, -cmd, +cmd|sub, first-arg rules `+info|server`), channel rules
// (&pattern, allchannels, resetchannels). Key patterns are accepted and remembered but never checked (sentinel
// commands have no keys). Selectors are not supported. Pure: no I/O (sha256 from node:crypto is computation).
import { createHash, timingSafeEqual } from 'node:crypto';
import { ACL_CATEGORIES, allCommands, lookupByFullName, type AclCategory, type CommandEntry } from './command-table.js';
import { globMatch } from '../core/glob.js';

export class AclRuleError extends Error {
  readonly code = 'VIGIL_ERR_ACL_RULE';
  constructor(
    readonly rule: string,
    readonly reason: string,
  ) {
    super(`Error in ACL SETUSER modifier '${rule}': ${reason}`);
  }
}

const R_UNKNOWN = 'Unknown command or category name in ACL';
const R_SYNTAX = 'Syntax error';
const R_HASH = 'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters';
const R_NOPASS = 'The password you are trying to remove from the user does not exist';
const R_ALLKEYS =
  "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns";
const R_ALLCHANNELS =
  "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels";

/** Redis's ACLStringHasSpaces: isspace() (space, \t, \n, \v, \f, \r) or NUL. */
export function hasSpaceOrNul(s: string): boolean {
  return /[ \t\n\v\f\r\0]/.test(s);
}

/** ACL SETUSER's reply for a user name with whitespace or NUL (Redis 7.0.15, checked against redis-sentinel). */
export const USERNAME_SPACES = "Usernames can't contain spaces or null characters";

export function sha256Hex(password: string | Buffer): string {
  return createHash('sha256').update(password).digest('hex');
}

export class AclUser {
  enabled = false;
  nopass = false;
  /** '' until a sanitize rule is applied; Redis prints the flag only when set. */
  sanitizePayload: '' | 'sanitize-payload' | 'skip-sanitize-payload' = '';
  /** sha256 hex digests, insertion order. */
  passwords: string[] = [];
  /** Command bits by command id. */
  allowed: boolean[] = new Array<boolean>(allCommands.length).fill(false);
  /** +@all was the last word on commands: new commands would be allowed too. */
  allCommandsFlag = false;
  /** First-argument grants for commands without subcommands (`+info|server`): id -> lowercase args. */
  firstArgs = new Map<number, string[]>();
  allKeys = false;
  keyPatterns: string[] = [];
  allChannels = false;
  channelPatterns: string[] = [];

  constructor(readonly name: string) {}

  clone(): AclUser {
    const u = new AclUser(this.name);
    u.enabled = this.enabled;
    u.nopass = this.nopass;
    u.sanitizePayload = this.sanitizePayload;
    u.passwords = [...this.passwords];
    u.allowed = [...this.allowed];
    u.allCommandsFlag = this.allCommandsFlag;
    u.firstArgs = new Map([...this.firstArgs].map(([k, v]) => [k, [...v]]));
    u.allKeys = this.allKeys;
    u.keyPatterns = [...this.keyPatterns];
    u.allChannels = this.allChannels;
    u.channelPatterns = [...this.channelPatterns];
    return u;
  }

  /** Apply one rule word (ACL SETUSER / `user` config syntax). Throws AclRuleError. */
  applyRule(rule: string): void {
    const lower = rule.toLowerCase();
    switch (lower) {
      case 'on':
        this.enabled = true;
        return;
      case 'off':
        this.enabled = false;
        return;
      case 'nopass':
        this.nopass = true;
        this.passwords = [];
        return;
      case 'resetpass':
        this.nopass = false;
        this.passwords = [];
        return;
      case 'allkeys':
      case '~*':
        this.allKeys = true;
        this.keyPatterns = [];
        return;
      case 'resetkeys':
        this.allKeys = false;
        this.keyPatterns = [];
        return;
      case 'allchannels':
      case '&*':
        this.allChannels = true;
        this.channelPatterns = [];
        return;
      case 'resetchannels':
        this.allChannels = false;
        this.channelPatterns = [];
        return;
      case 'allcommands':
      case '+@all':
        this.allowed.fill(true);
        this.allCommandsFlag = true;
        this.firstArgs.clear();
        return;
      case 'nocommands':
      case '-@all':
        this.allowed.fill(false);
        this.allCommandsFlag = false;
        this.firstArgs.clear();
        return;
      case 'sanitize-payload':
      case 'skip-sanitize-payload':
        this.sanitizePayload = lower;
        return;
      case 'clearselectors':
        return;
      case 'reset':
        for (const r of ['resetpass', 'resetkeys', 'resetchannels', 'off', '-@all', 'sanitize-payload'])
          this.applyRule(r);
        return;
    }
    const c0 = rule[0];
    const body = rule.slice(1);
    if (c0 === '>') {
      const h = sha256Hex(body);
      if (!this.passwords.includes(h)) this.passwords.push(h);
      this.nopass = false;
      return;
    }
    if (c0 === '#') {
      if (!/^[0-9a-f]{64}$/.test(body)) throw new AclRuleError(rule, R_HASH);
      if (!this.passwords.includes(body)) this.passwords.push(body);
      this.nopass = false;
      return;
    }
    if (c0 === '<' || c0 === '!') {
      const h = c0 === '<' ? sha256Hex(body) : body;
      if (c0 === '!' && !/^[0-9a-f]{64}$/.test(body)) throw new AclRuleError(rule, R_HASH);
      const i = this.passwords.indexOf(h);
      if (i === -1) throw new AclRuleError(rule, R_NOPASS);
      this.passwords.splice(i, 1);
      return;
    }
    // Key and channel patterns with whitespace or NUL are a syntax error in Redis (ACLStringHasSpaces).
    if ((c0 === '~' || c0 === '&' || c0 === '%') && hasSpaceOrNul(rule)) throw new AclRuleError(rule, R_SYNTAX);
    if (c0 === '~' || (c0 === '%' && /^%(R|W|RW)~/i.test(rule))) {
      if (this.allKeys) throw new AclRuleError(rule, R_ALLKEYS);
      const pat = rule.slice(rule.indexOf('~') + 1);
      if (!this.keyPatterns.includes(rule)) this.keyPatterns.push(c0 === '~' ? `~${pat}` : rule);
      return;
    }
    if (c0 === '&') {
      if (this.allChannels) throw new AclRuleError(rule, R_ALLCHANNELS);
      if (!this.channelPatterns.includes(body)) this.channelPatterns.push(body);
      return;
    }
    if (c0 === '+' || c0 === '-') {
      const allow = c0 === '+';
      if (body.startsWith('@')) {
        const cat = body.slice(1).toLowerCase();
        if (!(ACL_CATEGORIES as readonly string[]).includes(cat)) throw new AclRuleError(rule, R_UNKNOWN);
        for (const cmd of allCommands) {
          if (cmd.categories.includes(cat as AclCategory)) this.setBit(cmd, allow);
        }
        return;
      }
      const cmd = lookupByFullName(body);
      if (cmd) {
        this.setBit(cmd, allow);
        if (cmd.subList.length > 0) for (const s of cmd.subList) this.setBit(s, allow);
        return;
      }
      // First-argument rule on a command without subcommands: `+info|server`.
      const bar = body.indexOf('|');
      if (bar > 0) {
        const parent = lookupByFullName(body.slice(0, bar));
        const arg = body.slice(bar + 1).toLowerCase();
        if (parent && parent.subList.length === 0 && !parent.parent && arg.length > 0 && !arg.includes('|')) {
          if (!allow) throw new AclRuleError(rule, R_SYNTAX);
          if (!this.allowed[parent.id]) {
            const list = this.firstArgs.get(parent.id) ?? [];
            if (!list.includes(arg)) list.push(arg);
            this.firstArgs.set(parent.id, list);
          }
          return;
        }
      }
      throw new AclRuleError(rule, R_UNKNOWN);
    }
    throw new AclRuleError(rule, R_SYNTAX);
  }

  private setBit(cmd: CommandEntry, allow: boolean): void {
    this.allowed[cmd.id] = allow;
    this.firstArgs.delete(cmd.id);
    if (!allow) this.allCommandsFlag = false;
  }

  /** Password check (constant time per stored hash). */
  checkPassword(password: string | Buffer): boolean {
    if (this.nopass) return true;
    const h = Buffer.from(sha256Hex(password), 'hex');
    let ok = false;
    for (const p of this.passwords) {
      if (timingSafeEqual(Buffer.from(p, 'hex'), h)) ok = true;
    }
    return ok;
  }

  canRun(cmd: CommandEntry, firstArg: string | undefined): boolean {
    if (this.allCommandsFlag || this.allowed[cmd.id]) return true;
    if (firstArg === undefined) return false;
    const list = this.firstArgs.get(cmd.id);
    return list !== undefined && list.includes(firstArg.toLowerCase());
  }

  /** Channel permission as Redis 7.0: literal channels glob-match the rules, patterns must equal a rule. */
  canUseChannel(channel: string, isPattern: boolean): boolean {
    if (this.allChannels) return true;
    for (const p of this.channelPatterns) {
      if (isPattern ? p === channel : globMatch(p, channel)) return true;
    }
    return false;
  }

  /**
   * The command rules as Redis 7.0 prints them (ACLDescribeSelectorCommandRules): start from +@all or -@all,
   * add each category that has more commands in the desired state than not, then fix single commands.
   */
  describeCommands(): string {
    return this.describeCommandTokens().join(' ');
  }

  /** describeCommands as separate words (a first-argument rule may contain spaces: `+info|a b`). */
  describeCommandTokens(): string[] {
    const additive = !this.allCommandsFlag;
    const parts: string[] = [additive ? '-@all' : '+@all'];
    const fake = new Array<boolean>(allCommands.length).fill(!additive);
    for (const cat of ACL_CATEGORIES) {
      // Redis counts leaf commands only: a container (CLIENT, COMMAND, ...) is represented by its subcommands.
      let on = 0;
      let off = 0;
      for (const cmd of allCommands) {
        if (cmd.subList.length > 0 || !cmd.categories.includes(cat)) continue;
        if (this.allowed[cmd.id]) on++;
        else off++;
      }
      if ((additive && on > off) || (!additive && off > on)) {
        parts.push(`${additive ? '+' : '-'}@${cat}`);
        for (const cmd of allCommands) if (cmd.categories.includes(cat)) fake[cmd.id] = additive;
      }
    }
    // Single-command fixes, container first: `+command` also covers its subcommands, which are then compared
    // against that new state.
    for (const cmd of allCommands) {
      if (cmd.parent) continue;
      const bit = this.allowed[cmd.id] ?? false;
      if (bit !== fake[cmd.id]) {
        parts.push(`${bit ? '+' : '-'}${cmd.name}`);
        fake[cmd.id] = bit;
        for (const sub of cmd.subList) fake[sub.id] = bit;
      }
      for (const sub of cmd.subList) {
        const sbit = this.allowed[sub.id] ?? false;
        if (sbit !== fake[sub.id]) {
          parts.push(`${sbit ? '+' : '-'}${sub.name}`);
          fake[sub.id] = sbit;
        }
      }
    }
    for (const cmd of allCommands) {
      const list = this.firstArgs.get(cmd.id);
      if (list && !this.allowed[cmd.id]) for (const a of list) parts.push(`+${cmd.name}|${a}`);
    }
    return parts;
  }

  /** Flags as ACL GETUSER / ACL LIST print them. */
  flagList(): string[] {
    const f = [this.enabled ? 'on' : 'off'];
    if (this.nopass) f.push('nopass');
    if (this.sanitizePayload) f.push(this.sanitizePayload);
    return f;
  }

  keysDescription(): string {
    return this.allKeys ? '~*' : this.keyPatterns.join(' ');
  }

  channelsDescription(): string {
    return this.allChannels ? '&*' : this.channelPatterns.map((p) => `&${p}`).join(' ');
  }

  /** One `ACL LIST` line. */
  describe(): string {
    return this.describeTokens().join(' ');
  }

  /** The `ACL LIST` line as its words, for the config writer (which quotes each word that needs it). */
  describeTokens(): string[] {
    const parts = ['user', this.name, ...this.flagList()];
    for (const p of this.passwords) parts.push(`#${p}`);
    if (this.allKeys) parts.push('~*');
    else parts.push(...this.keyPatterns);
    if (this.allChannels) parts.push('&*');
    else {
      parts.push('resetchannels');
      for (const p of this.channelPatterns) parts.push(`&${p}`);
    }
    parts.push(...this.describeCommandTokens());
    return parts;
  }
}

export interface AclLogEntry {
  count: number;
  reason: 'auth' | 'command' | 'channel' | 'key';
  context: 'toplevel';
  object: string;
  username: string;
  createdAtMs: number;
  updatedAtMs: number;
  clientInfo: string;
}

const ACL_LOG_MAX = 128;

/** The user table plus the ACL LOG. */
export class Acl {
  readonly users = new Map<string, AclUser>();
  readonly log: AclLogEntry[] = [];

  constructor() {
    this.reset();
  }

  /** The default user as a fresh server has it: `user default on nopass ~* &* +@all`. */
  reset(): void {
    this.users.clear();
    const d = new AclUser('default');
    for (const r of ['on', 'nopass', '~*', '&*', '+@all']) d.applyRule(r);
    this.users.set('default', d);
  }

  get defaultUser(): AclUser {
    const d = this.users.get('default');
    if (!d) throw new Error('default user missing');
    return d;
  }

  /** `requirepass <pw>`: the default user gets exactly this password (empty string = nopass, as Redis). */
  setRequirePass(password: string): void {
    const d = this.defaultUser;
    d.applyRule('resetpass');
    d.applyRule(password === '' ? 'nopass' : `>${password}`);
  }

  /** ACL SETUSER semantics: atomic (all rules or none). Creates new users as `reset` would (7.0: no channels). */
  setUser(name: string, rules: readonly string[]): void {
    const existing = this.users.get(name);
    let u: AclUser;
    if (existing) u = existing.clone();
    else u = new AclUser(name);
    for (const r of rules) u.applyRule(r);
    this.users.set(name, u);
  }

  /** Parse a config-file `user <name> <rules...>` line body (already split). */
  loadUserLine(args: readonly string[]): void {
    const [name, ...rules] = args;
    if (name === undefined) throw new AclRuleError('', R_SYNTAX);
    this.setUser(name, rules);
  }

  authenticate(username: string, password: string | Buffer): AclUser | undefined {
    const u = this.users.get(username);
    if (!u || !u.enabled) return undefined;
    return u.checkPassword(password) ? u : undefined;
  }

  /** Add or merge an ACL LOG entry (Redis merges identical reason/context/object/username within 60 s). */
  addLog(entry: Omit<AclLogEntry, 'count' | 'createdAtMs' | 'updatedAtMs'>, nowMs: number): void {
    const same = this.log.find(
      (e) =>
        e.reason === entry.reason &&
        e.context === entry.context &&
        e.object === entry.object &&
        e.username === entry.username &&
        nowMs - e.updatedAtMs < 60_000,
    );
    if (same) {
      same.count++;
      same.updatedAtMs = nowMs;
      same.clientInfo = entry.clientInfo;
      const i = this.log.indexOf(same);
      this.log.splice(i, 1);
      this.log.unshift(same);
      return;
    }
    this.log.unshift({ ...entry, count: 1, createdAtMs: nowMs, updatedAtMs: nowMs });
    if (this.log.length > ACL_LOG_MAX) this.log.length = ACL_LOG_MAX;
  }
}
