// Links (sentinel.c: instance links, connection sharing, reconnection): the command and pub/sub connections to
// masters, replicas and peer sentinels. Owns the link table (which socket id belongs to which record), the
// in-flight queue that matches replies to records, renamed commands, the AUTH/CLIENT SETNAME handshake, and the
// reconnect schedule; routes observations (link up/down, replies, pub/sub frames) to the room that handles them.
// Mechanism (all rooms): plain functions over the explicit core state (`core: CoreState`, state.ts), no classes;
// SentinelCore (sentinel.ts) is the facade that owns the public API and delegates here. Pure like all of src/core.
import type { Reply } from '../resp/types.js';
import { clientIdsToKill } from './client-list.js';
import { receiveIsMasterDownReply } from './down.js';
import { processHello } from './hello-handling.js';
import { parseInfo } from './info.js';
import { Instance, InstanceLink } from './instance.js';
import type { InflightCommand } from './instance.js';
import { sendInfo, sendPing } from './monitor.js';
import type { CoreState } from './state.js';
import { HELLO_CHANNEL, MAX_PENDING_COMMANDS } from './types.js';
import type { Effect, LinkKind, ReplyTag } from './types.js';
import { refreshInfo } from './info-refresh.js';
import { minReplicasGet, onFenceReply } from './fencing-actions.js';

const FAST_RECONNECT_MS = 100;

/** An INFO reply as text (bulk string or Buffer), null for an error or anything else. */
export function infoText(reply: Reply): string | null {
  if (typeof reply === 'string') return reply;
  return Buffer.isBuffer(reply) ? reply.toString('utf8') : null;
}

export function isIpAddress(s: string): boolean {
  if (/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s)) return s.split('.').every((p) => Number(p) <= 255);
  return s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s);
}

export function cmdName(core: CoreState, ri: Instance, cmd: string): string {
  const renames = ri.owner.renames;
  // Most masters rename nothing: no lower-casing (a new string per command sent) to find that out.
  if (renames.size === 0) return cmd;
  const r = renames.get(cmd.toLowerCase());
  return r !== undefined ? r.renamed : cmd;
}

export function authCommand(core: CoreState, ri: Instance): string[] | null {
  let pass: string | undefined;
  let user: string | undefined;
  if (ri.kind === 'sentinel') {
    if (core.sentinelPass !== undefined) {
      pass = core.sentinelPass;
      user = core.sentinelUser;
    } else {
      pass = core.requirepass;
    }
  } else {
    pass = ri.owner.authPass;
    user = ri.owner.authUser;
  }
  if (pass === undefined) return null;
  const auth = cmdName(core, ri, 'AUTH');
  return user !== undefined ? [auth, user, pass] : [auth, pass];
}

export function openLink(core: CoreState, ri: Instance, kind: LinkKind): void {
  const linkId = core.nextLinkId++;
  core.links.set(linkId, { inst: ri, kind, upAt: 0, link: ri.link });
  const handshake: string[][] = [];
  const auth = authCommand(core, ri);
  if (auth) handshake.push(auth);
  handshake.push([cmdName(core, ri, 'CLIENT'), 'SETNAME', `sentinel-${core.myid.slice(0, 8)}-${kind}`]);
  if (kind === 'pubsub') handshake.push([cmdName(core, ri, 'SUBSCRIBE'), HELLO_CHANNEL]);
  const now = core.now();
  if (kind === 'cmd') {
    ri.link.cmdLinkId = linkId;
    ri.link.cmdConnectedAt = now;
    ri.link.pendingCommands = 0;
    ri.link.inflight.clear();
    ri.link.localIp = null;
    ri.infoInFlight = 0;
  } else {
    ri.link.pubsubLinkId = linkId;
    ri.link.pubsubConnectedAt = now;
    ri.link.pubsubActivityAt = now;
  }
  core.effects.push({ t: 'connect', linkId, kind, host: ri.host, port: ri.port, handshake });
}

export function closeLink(core: CoreState, ri: Instance, kind: LinkKind): void {
  const id = kind === 'cmd' ? ri.link.cmdLinkId : ri.link.pubsubLinkId;
  if (id === null) return;
  core.links.delete(id);
  if (kind === 'cmd') {
    ri.link.cmdLinkId = null;
    ri.link.pendingCommands = 0;
    ri.infoInFlight = 0;
    ri.link.inflight.clear();
  } else {
    ri.link.pubsubLinkId = null;
  }
  core.effects.push({ t: 'close', linkId: id });
}

export function closeAllLinks(core: CoreState, ri: Instance): void {
  closeLink(core, ri, 'cmd');
  closeLink(core, ri, 'pubsub');
}

/**
 * sentinelTryConnectionSharing: a peer sentinel known for several masters (same run id) uses one connection.
 * Called when a sentinel record is created; its own (new, unused) link is dropped for the existing one.
 */
export function tryConnectionSharing(core: CoreState, ri: Instance): void {
  if (ri.kind !== 'sentinel' || ri.runId === null || ri.link.refcount > 1) return;
  for (const mm of core.masters.values()) {
    if (mm === ri.master) continue;
    const match = mm.sentinels.get(ri.runId);
    if (!match || match.link === ri.link) continue;
    closeAllLinks(core, ri);
    ri.link = match.link;
    ri.link.refcount++;
    return;
  }
}

/** releaseInstanceLink: a record going away closes its connection only if no other master shares it. */
export function releaseLink(core: CoreState, ri: Instance): void {
  if (ri.link.refcount > 1) {
    ri.link.refcount--;
    // Replies still in flight for this record are consumed (order!) but not applied to a record that is gone.
    for (const q of ri.link.inflight.values()) for (const c of q) if (c.inst === ri) c.dropped = true;
    ri.link = new InstanceLink(core.now());
    return;
  }
  closeAllLinks(core, ri);
}

export function send(core: CoreState, ri: Instance, cmd: string[], tag: ReplyTag, askAddr?: string): boolean {
  if (ri.link.cmdLinkId === null) return false;
  ri.link.pendingCommands++;
  const entry: InflightCommand = { inst: ri };
  if (askAddr !== undefined) entry.askAddr = askAddr;
  let q = ri.link.inflight.get(tag);
  if (!q) ri.link.inflight.set(tag, (q = []));
  q.push(entry);
  // Bounded: a link that stopped answering is force-closed long before this matters.
  if (q.length > MAX_PENDING_COMMANDS * 4 * ri.link.refcount) q.shift();
  core.effects.push({ t: 'send', linkId: ri.link.cmdLinkId, cmd, tag });
  return true;
}

/** Observation: the TCP connection of a link is established. `localIp` is our end of it. */
export function onLinkUp(core: CoreState, linkId: number, localIp: string, remoteIp?: string): Effect[] {
  const ref = core.links.get(linkId);
  if (ref && remoteIp !== undefined && remoteIp !== '' && !isIpAddress(ref.inst.host)) {
    core.resolvedHosts.set(ref.inst.host.toLowerCase(), remoteIp.replace(/^::ffff:(?=\d+\.)/i, ''));
  }
  if (ref) ref.upAt = core.now();
  if (ref && ref.kind === 'cmd') ref.link.localIp = localIp;
  return core.drain();
}

/** Observation: a link failed to connect or was closed by the peer. */
export function onLinkDown(core: CoreState, linkId: number): Effect[] {
  const ref = core.links.get(linkId);
  if (!ref) return core.drain();
  core.links.delete(linkId);
  const ri = ref.inst;
  const lk = ref.link;
  if (ref.kind === 'cmd' && lk.cmdLinkId === linkId) {
    lk.cmdLinkId = null;
    lk.pendingCommands = 0;
    lk.inflight.clear();
    ri.infoInFlight = 0;
  } else if (ref.kind === 'pubsub' && lk.pubsubLinkId === linkId) {
    lk.pubsubLinkId = null;
  }
  // A connection that had been up for a while and was then lost (CLIENT KILL, a reset) is re-opened on the next
  // tick; Redis waits out PING-PERIOD since the last attempt, and with a PING outstanding that gap alone can
  // reach down-after: a spurious SDOWN of a reachable instance (found by the simulation, I5). Refused or failed
  // connects keep the once-per-PING-PERIOD rate.
  if (ref.upAt !== 0 && core.now() - ref.upAt >= core.timings.pingPeriodMs) lk.lastReconnectAt = 0;
  core.log('debug', `${ref.kind === 'cmd' ? '-cmd' : '-pubsub'}-link-reconnection ${core.details(ri)}`);
  return core.drain();
}

/** Observation: a reply to a command we sent on a cmd link. */
export function onReply(core: CoreState, linkId: number, tag: ReplyTag, reply: Reply): Effect[] {
  const ref = core.links.get(linkId);
  if (!ref || ref.kind !== 'cmd') return core.drain();
  const lk = ref.link;
  if (lk.pendingCommands > 0) lk.pendingCommands--;
  // Replies come in send order: the oldest unanswered command tells which instance (which master's record of
  // a shared peer) this reply belongs to.
  const sent = lk.inflight.get(tag)?.shift();
  if (sent?.dropped === true) return core.drain();
  const ri = sent?.inst ?? ref.inst;
  const now = core.now();
  switch (tag) {
    case 'ping': {
      let text: string | null = null;
      if (typeof reply === 'string') text = reply;
      else if (reply instanceof Error) text = reply.message;
      if (text !== null) {
        if (text.startsWith('PONG') || text.startsWith('LOADING') || text.startsWith('MASTERDOWN')) {
          ri.link.lastAvailAt = now;
          ri.link.actPingAt = 0;
          if (ri.masterReboot && text.startsWith('PONG')) ri.masterReboot = false;
        } else if (text.startsWith('BUSY') && ri.sdown && !ri.scriptKillSent) {
          if (send(core, ri, [cmdName(core, ri, 'SCRIPT'), 'KILL'], 'ignore')) ri.scriptKillSent = true;
        }
      }
      ri.link.lastPongAt = now;
      break;
    }
    case 'info': {
      if (ri.infoInFlight > 0) ri.infoInFlight--;
      const text = infoText(reply);
      if (text !== null) refreshInfo(core, ri, text);
      if (ri.kind === 'replica' && ri.owner.failoverState === 'select_slave') core.urgent = true;
      if (ri.kind === 'replica' && ri.promoted && ri.owner.failoverState === 'send_slaveof_noone') core.urgent = true;
      break;
    }
    case 'mf-offset':
      if (ri.kind === 'master' && ri.mfPausedAt !== 0) {
        const text = infoText(reply);
        ri.mfTargetOffset = text === null ? null : parseInfo(text).masterReplOffset;
        core.urgent = true;
      }
      break;
    case 'mf-clients':
      if (ri.kind === 'master' && ri.mfPausedAt !== 0 && ri.mfClientListsAwaited > 0) {
        ri.mfClientListsAwaited--;
        const text = typeof reply === 'string' ? reply : Buffer.isBuffer(reply) ? reply.toString() : null;
        const ids = text === null ? null : clientIdsToKill(text);
        ri.mfKillIds = ids === null || ri.mfKillIds === null ? null : [...ri.mfKillIds, ...ids];
      }
      break;
    case 'publish':
      if (!(reply instanceof Error)) ri.lastPubAt = now;
      break;
    case 'fence-get':
    case 'fence-set':
    case 'fence-clients':
    case 'fence-check':
      onFenceReply(core, ri, tag, reply);
      break;
    case 'is-master-down':
      receiveIsMasterDownReply(core, ri, reply, sent?.askAddr);
      break;
    case 'ignore':
      break;
  }
  return core.drain();
}

/** Observation: a frame on a pubsub link (subscribe confirmations, hello messages). */
export function onPubsubFrame(core: CoreState, linkId: number, frame: Reply): Effect[] {
  const ref = core.links.get(linkId);
  if (!ref || ref.kind !== 'pubsub') return core.drain();
  ref.inst.link.pubsubActivityAt = core.now();
  if (Array.isArray(frame) && frame.length === 3) {
    const [kind, , payload] = frame;
    const k = typeof kind === 'string' ? kind : Buffer.isBuffer(kind) ? kind.toString() : '';
    const p = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString() : null;
    if (k === 'message' && p !== null && !p.includes(core.myid)) processHello(core, p);
  }
  return core.drain();
}

/** `PUBLISH __sentinel__:hello <payload>` sent to us by a client (peer sentinels do this). */
export function onClientPublish(core: CoreState, payload: string): Effect[] {
  processHello(core, payload);
  return core.drain();
}

export function reconnect(core: CoreState, ri: Instance, now?: number): void {
  if (ri.port === 0) return;
  if (!ri.disconnected) return;
  now ??= core.now();
  // Redis retries once per PING-PERIOD. Within 2 s of the instance's last valid reply Vigil retries every
  // 100 ms: a master killed and restarted at once is back in milliseconds, and seeing its new run id before its
  // replicas resync from it (their replication cron runs once a second) is what lets the empty-master
  // protection act. Instances gone for longer keep Redis's rate.
  const period = now - ri.link.lastAvailAt < 2000 ? FAST_RECONNECT_MS : core.timings.pingPeriodMs;
  if (now - ri.link.lastReconnectAt < period) return;
  ri.link.lastReconnectAt = now;
  if (ri.link.cmdLinkId === null) {
    openLink(core, ri, 'cmd');
    sendPing(core, ri, now);
    if (ri.kind !== 'sentinel') {
      // A new connection may mean a restarted server: learn its run id and role now, not an INFO period later
      // (an empty restarted master must be noticed before its replicas resync), and remove a stale fence.
      sendInfo(core, ri, now);
      send(core, ri, minReplicasGet(core, ri), 'fence-check');
    }
    // Redis: INFO follows on the same tick through the periodic commands.
  }
  if (ri.kind !== 'sentinel' && ri.link.pubsubLinkId === null) openLink(core, ri, 'pubsub');
}
