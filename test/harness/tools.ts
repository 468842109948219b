// Running external client tools (redis-cli, Debian's python3 with python3-redis) as harness-owned processes, so
// they are killed by PID on every path. Test-only code.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Harness } from './index.js';

/** Debian's python with python3-redis 4.3.4 — not the pyenv python3 on PATH. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

export interface ToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string[];
}

/** Run a tool to completion (or kill it at the deadline) and return its output lines (stdout+stderr). */
export async function runTool(
  h: Harness,
  cmd: string,
  args: string[],
  opts: { name: string; timeoutMs?: number; env?: NodeJS.ProcessEnv },
): Promise<ToolResult> {
  const spawnOpts = opts.env ? { name: opts.name, env: { ...process.env, ...opts.env } } : { name: opts.name };
  const p = await h.spawn(cmd, args, spawnOpts);
  const timeoutMs = opts.timeoutMs ?? 20000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    p.waitExit().then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    await p.kill('SIGKILL');
    throw new Error(`${opts.name} did not finish within ${timeoutMs} ms\n${p.logTail()}`);
  }
  return { code: p.exitCode, signal: p.exitSignal, out: p.output() };
}

/** Write a python script into a harness temp dir and run it with Debian's python3. */
export async function runPython(
  h: Harness,
  name: string,
  source: string,
  args: string[],
  timeoutMs = 30000,
): Promise<ToolResult> {
  const dir = h.tempDir('vigil-py-');
  const path = join(dir, `${name}.py`);
  writeFileSync(path, source);
  return runTool(h, SYSTEM_PYTHON, [path, ...args], { name: `python:${name}`, timeoutMs });
}

/** Race a promise against a deadline. */
export async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
