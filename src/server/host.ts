// The contract between the inbound RESP server (src/server) and the sentinel runtime (src/runtime + src/core).
// The server owns sockets, sessions, auth/ACL, pub/sub plumbing and generic commands; everything that needs
// sentinel state goes through SentinelHost. Contract owner: the lead; change it only by agreement.
import type { Out, Proto } from '../resp/types.js';

export interface ClientContext {
  /** CLIENT ID of the calling connection. */
  id: number;
  proto: Proto;
  /** Authenticated ACL user name ('default' when no auth is configured). */
  user: string;
  /** Remote address as Redis prints it in CLIENT LIST (`ip:port`). */
  addr: string;
}

export interface SentinelEvent {
  /** Channel = event name, exactly as Redis publishes it: '+sdown', '+switch-master', ... */
  channel: string;
  /** Plain-text payload, exactly as Redis publishes it. */
  payload: string;
}

export interface SentinelHost {
  /** The process run id (40 hex chars, new on every start), shown in INFO server `run_id`. */
  readonly runId: string;
  /**
   * Handle `SENTINEL <args...>` (args excludes the word SENTINEL; args[0] is the subcommand, any case).
   * Arity and unknown-subcommand errors are the host's job too, so that every SENTINEL error text lives in one
   * place. The returned frame is encoded for ctx.proto by the server (maps flatten in RESP2).
   * Async because some subcommands wait for the config file to be flushed.
   */
  sentinelCommand(args: string[], ctx: ClientContext): Out | Promise<Out>;
  /**
   * `PUBLISH <channel> <message>` from a client. Sentinel accepts only `__sentinel__:hello` and processes it as a
   * hello message; the host returns the full reply (`:1` or the Redis error).
   */
  publish(channel: string, message: string, ctx: ClientContext): Out;
  /** Body of the `# Sentinel` INFO section, without the header line, lines joined by '\r\n'. */
  infoSentinelSection(): string;
  /** Master names for `ROLE` (`*2 sentinel [names...]`), in Redis's order. */
  masterNames(): string[];
  /** Subscribe to every published sentinel event; returns an unsubscribe function. */
  onEvent(listener: (event: SentinelEvent) => void): () => void;
  /** SHUTDOWN: flush config (Redis treats it as NOSAVE in sentinel mode) and exit the process. */
  shutdown(): Promise<void>;
}
