// `vigil down`: stop the cluster of DIR. Normally it signals the supervising `vigil up`, which stops its children
// in order; if `vigil up` is gone (killed -9, machine suspended...), it stops the recorded PIDs itself, each only
// after checking it is still the process that was recorded (PID + kernel start time).
import { isSameProcess, signal, stopPids, waitGone } from '../cluster/proc.js';
import { readState, writeState } from '../cluster/state.js';
import { parse, clusterDir, upAlive, out, err, UserError } from './common.js';

export const DOWN_HELP = `vigil down [--dir DIR]  stop the cluster started by \`vigil up\` in DIR`;

export async function runDown(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, { dir: { type: 'string' } } as const, 'down');
  const dir = clusterDir(v.dir);
  const s = readState(dir);
  if (!s) {
    out(`vigil: nothing to stop in ${dir} (no cluster state there)`);
    return 0;
  }
  const ours = (): typeof s.processes => s.processes.filter((p) => isSameProcess(p.pid, p.startTime));
  if (!upAlive(s) && ours().length === 0) {
    out(`vigil: nothing is running in ${dir}${s.stoppedAt ? ` (stopped at ${s.stoppedAt})` : ''}`);
    return 0;
  }

  if (upAlive(s)) {
    err(`vigil: asking vigil up (pid ${s.upPid}) to stop the cluster`);
    signal(s.upPid, 'SIGTERM');
    const upLeft = await waitGone([s.upPid], 30_000);
    if (upLeft.length)
      err(`vigil: vigil up (pid ${s.upPid}) did not exit within 30 s; stopping its processes directly`);
  } else {
    err(`vigil: vigil up (pid ${s.upPid}) is not running; stopping the recorded processes directly`);
  }

  // Whatever is still ours: sentinels and proxy first, then the data nodes.
  const onKill = (pid: number): void => err(`vigil: pid ${pid} ignored SIGTERM: sent SIGKILL`);
  const front = ours().filter((p) => p.role === 'sentinel' || p.role === 'proxy');
  const left1 = await stopPids(
    front.map((p) => p.pid),
    3000,
    onKill,
  );
  const back = ours().filter((p) => p.role === 'master' || p.role === 'replica');
  const left2 = await stopPids(
    back.map((p) => p.pid),
    5000,
    onKill,
  );
  const survivors = [...left1, ...left2];
  if (survivors.length)
    throw new UserError(`could not stop pid(s) ${survivors.join(', ')}: check them with ps and kill them by PID`);
  const stoppedHere = front.length + back.length;
  if (stoppedHere > 0) {
    // `vigil up` records the stop itself; when it was gone, record it here.
    const now = readState(dir) ?? s;
    writeState(dir, { ...now, ready: false, stoppedAt: now.stoppedAt ?? new Date().toISOString() });
  }
  out(
    `vigil: cluster in ${dir} stopped${stoppedHere ? ` (${stoppedHere} leftover process(es) stopped directly)` : ''}`,
  );
  return 0;
}
