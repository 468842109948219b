// The core's one entry for observations: `step(core, obs)` dispatches an Observation (types.ts) to the room that
// handles it and returns the effects it produced — plus, for a SENTINEL command, the reply. The runtime calls
// nothing else that changes the core, so a trace of steps (core/trace.ts) is a complete record of its inputs.
// Pure like the rest of the core: the clock, the random source and isExecutable are the core's injected ones.
import type { Out } from '../resp/types.js';
import { sentinelCommand, type CommandContext } from './commands.js';
import type { SentinelCore } from './sentinel.js';
import type { Effect, Observation } from './types.js';

export interface StepResult {
  effects: Effect[];
  /** The reply, for a `command` observation only. */
  reply?: Out;
}

export function step(core: SentinelCore, obs: Observation, ctx: CommandContext = {}): StepResult {
  switch (obs.t) {
    case 'started':
      // Effects queued here (none today) go out with the next tick's, as they always have.
      core.started();
      return { effects: [] };
    case 'tick':
      return { effects: core.tick() };
    case 'link-up':
      return { effects: core.onLinkUp(obs.linkId, obs.localIp, obs.remoteIp) };
    case 'link-down':
      return { effects: core.onLinkDown(obs.linkId) };
    case 'reply':
      return { effects: core.onReply(obs.linkId, obs.tag, obs.reply) };
    case 'pubsub':
      return { effects: core.onPubsubFrame(obs.linkId, obs.frame) };
    case 'client-publish':
      return { effects: core.onClientPublish(obs.payload) };
    case 'command': {
      const reply = sentinelCommand(core, obs.args, ctx);
      return { effects: core.drain(), reply };
    }
  }
}
