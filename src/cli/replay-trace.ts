// `vigil replay-trace <file>`: replays a recording made with VIGIL_TRACE_FILE (core/trace.ts) through a fresh core
// and says whether every step produced the recorded effects. Exit 0: identical; 1: a difference (printed with its
// step and line); 2: usage or an unreadable file.
import { readFileSync } from 'node:fs';
import { replayTrace } from '../core/trace.js';
import { UserError } from './common.js';

export function runReplayTrace(argv: string[]): number {
  const files = argv.filter((a) => a !== '--debug');
  if (files.length !== 1) throw new UserError('usage: vigil replay-trace <file> (a VIGIL_TRACE_FILE recording)', 2);
  let text: string;
  try {
    text = readFileSync(files[0]!, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read ${files[0]}: ${(e as Error).message}`, 2);
  }
  const r = replayTrace(text.split('\n'));
  if (r.divergence === null) {
    process.stdout.write(`replayed ${r.steps} steps: identical to the recording\n`);
    return 0;
  }
  const d = r.divergence;
  process.stdout.write(`replayed ${r.steps} steps; step ${d.step} (line ${d.line}) differs: ${d.reason}\n`);
  return 1;
}
