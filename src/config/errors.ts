// Configuration errors: one class with a stable code, carrying what Redis prints (line number, line, message)
// plus a fix hint (our addition). Pure: no I/O.

export const REDIS_VERSION = '7.0.15';

export type ConfigErrorCode = 'VIGIL_ERR_CONFIG';

export interface ConfigErrorInit {
  /** 1-based line number as Redis counts it (command-line lines continue after the file's lines). */
  lineNo: number;
  /** The offending line, trimmed the way Redis trims it before printing it. */
  line: string;
  /** Redis's message, byte-for-byte where Redis has one (e.g. `Quorum must be 1 or greater.`). */
  redisMessage: string;
  /** One line telling the user what to do. */
  hint: string;
  cause?: unknown;
}

export class ConfigError extends Error {
  readonly code: ConfigErrorCode = 'VIGIL_ERR_CONFIG';
  readonly lineNo: number;
  readonly line: string;
  readonly redisMessage: string;
  readonly hint: string;

  constructor(init: ConfigErrorInit) {
    super(
      `line ${init.lineNo}: ${init.redisMessage} ('${init.line}')`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.name = 'ConfigError';
    this.lineNo = init.lineNo;
    this.line = init.line;
    this.redisMessage = init.redisMessage;
    this.hint = init.hint;
  }
}

/**
 * The block Redis writes to stderr for a fatal config error (without the leading empty line Redis prints),
 * followed by our `hint:` line. Lines are joined with '\n'; no trailing newline.
 */
export function formatConfigError(err: ConfigError): string {
  return [
    `*** FATAL CONFIG FILE ERROR (Redis ${REDIS_VERSION}) ***`,
    `Reading the configuration file, at line ${err.lineNo}`,
    `>>> '${err.line}'`,
    err.redisMessage,
    `hint: ${err.hint}`,
  ].join('\n');
}
