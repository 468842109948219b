// SUBSCRIBE / PSUBSCRIBE / UNSUBSCRIBE / PUNSUBSCRIBE over the sentinel's own event channels. Confirmations are
// pushes (`>3` in RESP3, `*3` in RESP2), one per channel, carrying the session's total subscription count.
import { R } from '../resp/index.js';
import type { Handler, ServerCore } from './core.js';
import type { Session } from './session.js';

function confirm(s: Session, kind: string, name: string | null): void {
  s.push([R.bulk(kind), name === null ? R.null : R.bulk(Buffer.from(name, 'latin1')), R.int(s.subscriptionCount)]);
}

function add(core: ServerCore, s: Session, pattern: boolean, name: string): void {
  const mine = pattern ? s.patterns : s.channels;
  if (mine.has(name)) return;
  mine.add(name);
  const map = pattern ? core.patternSubs : core.channelSubs;
  let set = map.get(name);
  if (!set) {
    set = new Set();
    map.set(name, set);
  }
  set.add(s);
}

function remove(core: ServerCore, s: Session, pattern: boolean, name: string): void {
  const mine = pattern ? s.patterns : s.channels;
  if (!mine.delete(name)) return;
  core.dropSub(pattern ? core.patternSubs : core.channelSubs, name, s);
}

export const subscribe: Handler = (core, s, argv) => {
  for (let i = 1; i < argv.length; i++) {
    const ch = (argv[i] ?? Buffer.alloc(0)).toString('latin1');
    add(core, s, false, ch);
    confirm(s, 'subscribe', ch);
  }
  return undefined;
};

export const psubscribe: Handler = (core, s, argv) => {
  for (let i = 1; i < argv.length; i++) {
    const p = (argv[i] ?? Buffer.alloc(0)).toString('latin1');
    add(core, s, true, p);
    confirm(s, 'psubscribe', p);
  }
  return undefined;
};

function unsub(core: ServerCore, s: Session, pattern: boolean, names: string[]): void {
  const kind = pattern ? 'punsubscribe' : 'unsubscribe';
  const mine = pattern ? s.patterns : s.channels;
  if (names.length === 0) {
    if (mine.size === 0) {
      confirm(s, kind, null);
      return;
    }
    for (const n of [...mine]) {
      remove(core, s, pattern, n);
      confirm(s, kind, n);
    }
    return;
  }
  for (const n of names) {
    remove(core, s, pattern, n);
    confirm(s, kind, n);
  }
}

export const unsubscribe: Handler = (core, s, argv) => {
  unsub(
    core,
    s,
    false,
    argv.slice(1).map((b) => b.toString('latin1')),
  );
  return undefined;
};

export const punsubscribe: Handler = (core, s, argv) => {
  unsub(
    core,
    s,
    true,
    argv.slice(1).map((b) => b.toString('latin1')),
  );
  return undefined;
};
