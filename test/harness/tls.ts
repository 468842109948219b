// TLS test material and a one-shot TLS RESP client. Certificates are made with openssl in a temp dir: one CA,
// a server certificate for 127.0.0.1 (used by every redis-server and sentinel, as Redis's own test suite does)
// and a client certificate. Test-only code.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { ReplyDecoder, encodeCommand } from '../../src/resp/index.js';
import type { Reply } from '../../src/resp/types.js';

export interface TlsFiles {
  dir: string;
  ca: string;
  cert: string;
  key: string;
  clientCert: string;
  clientKey: string;
}

function openssl(cwd: string, args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA and certificates signed by it, in `dir`. `serial` names a fresh server certificate (reload tests). */
export function makeCerts(dir: string): TlsFiles {
  openssl(dir, ['genrsa', '-out', 'ca.key', '2048']);
  openssl(dir, [
    'req',
    '-x509',
    '-new',
    '-nodes',
    '-sha256',
    '-key',
    'ca.key',
    '-days',
    '2',
    '-subj',
    '/CN=vigil-test-ca',
    '-out',
    'ca.crt',
  ]);
  issue(dir, 'server', 'vigil-test-server');
  issue(dir, 'client', 'vigil-test-client');
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    cert: join(dir, 'server.crt'),
    key: join(dir, 'server.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
  };
}

/** (Re)issue `<name>.crt`/`<name>.key` signed by the CA in `dir`, with subjectAltName IP:127.0.0.1. */
export function issue(dir: string, name: string, cn: string): void {
  writeFileSync(join(dir, `${name}.ext`), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(dir, ['genrsa', '-out', `${name}.key`, '2048']);
  openssl(dir, ['req', '-new', '-sha256', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`]);
  openssl(dir, [
    'x509',
    '-req',
    '-sha256',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  ]);
}

/** The redis.conf / sentinel.conf directives for these files (server side and outbound). */
export function tlsDirectives(f: TlsFiles): string[] {
  return [`tls-cert-file ${f.cert}`, `tls-key-file ${f.key}`, `tls-ca-cert-file ${f.ca}`];
}

export interface TlsCallOptions {
  /** Present the client certificate (default true). */
  clientCert?: boolean;
  timeoutMs?: number;
}

/** Connect over TLS, send the commands pipelined, return their replies; also the peer certificate's CN. */
export async function tlsCalls(
  port: number,
  f: TlsFiles,
  cmds: string[][],
  o: TlsCallOptions = {},
): Promise<{ replies: Reply[]; peerCn: string }> {
  const { readFileSync } = await import('node:fs');
  const opts: tls.ConnectionOptions = {
    host: '127.0.0.1',
    port,
    ca: readFileSync(f.ca),
    checkServerIdentity: () => undefined,
  };
  if (o.clientCert ?? true) {
    opts.cert = readFileSync(f.clientCert);
    opts.key = readFileSync(f.clientKey);
  }
  return new Promise((resolve, reject) => {
    const sock = tls.connect(opts);
    const decoder = new ReplyDecoder();
    const replies: Reply[] = [];
    let peerCn = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`TLS call to ${port} timed out`));
    }, o.timeoutMs ?? 5000);
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`TLS connection to ${port} closed after ${replies.length} replies`));
    });
    sock.on('secureConnect', () => {
      const cn = sock.getPeerCertificate().subject?.CN;
      peerCn = Array.isArray(cn) ? cn.join(',') : (cn ?? '');
      for (const c of cmds) sock.write(encodeCommand(c));
    });
    sock.on('data', (chunk: Buffer) => {
      replies.push(...decoder.push(chunk));
      if (replies.length >= cmds.length) {
        clearTimeout(timer);
        sock.removeAllListeners('close');
        sock.destroy();
        resolve({ replies, peerCn });
      }
    });
  });
}

export async function tlsCall(port: number, f: TlsFiles, ...args: string[]): Promise<Reply> {
  return (await tlsCalls(port, f, [args])).replies[0]!;
}
