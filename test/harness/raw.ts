// Raw TCP helpers for tests that must see exactly what a server sends, or only whether it accepts.
import { connect } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from './wait.js';

/** Writes `bytes`, then collects everything the server sends until it closes the connection. */
export function sendUntilClose(port: number, bytes: string | Buffer, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    let text = '';
    sock.on('data', (b) => (text += b.toString()));
    sock.on('close', () => resolve(text));
    sock.on('error', reject);
    sock.write(bytes);
  });
}

/** True when a TCP connection to host:port is accepted (and closed again at once). */
export function accepts(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port }, () => {
      sock.destroy();
      resolve(true);
    });
    sock.on('error', () => resolve(false));
  });
}

/**
 * A loopback port nobody answers: a listener with backlog 0 that never accepts, whose accept queue two connects
 * of its own have filled, so the kernel drops further SYNs (a connect to it hangs until its own timeout). Runs in
 * a python3 child, because a Node listener always accepts; the caller kills `child` by PID when done (it also
 * exits when its stdin closes, i.e. with the test process).
 */
export async function blackHole(): Promise<{ port: number; child: ChildProcess }> {
  const script = [
    'import socket, sys',
    's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)',
    'port = s.getsockname()[1]; fill = []',
    'for _ in range(2):',
    '    c = socket.socket(); c.setblocking(False)',
    '    try: c.connect(("127.0.0.1", port))',
    '    except BlockingIOError: pass',
    '    fill.append(c)',
    'print(port, flush=True)',
    'sys.stdin.read()',
  ].join('\n');
  const child = spawn('python3', ['-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  try {
    await waitFor(() => out.includes('\n'), { name: 'black-hole listener up', timeoutMs: 5000, context: () => err });
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return { port: Number(out.trim()), child };
}
