// Raw TCP helpers for tests that must see exactly what a server sends, or only whether it accepts.
import { connect } from 'node:net';

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
