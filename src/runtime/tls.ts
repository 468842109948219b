// TLS material for the sentinel, read from the `tls-*` directives (Redis 7.0's names and meanings): the inbound
// listener's options (`tls-port`) and the outbound links' options (`tls-replication yes`). Shell code: it reads
// certificate files. Re-reading them (SIGHUP) builds fresh options; listeners swap their secure context and new
// links use the new options, established connections keep theirs (as Redis does on a CONFIG SET of tls-*).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext, type ConnectionOptions, type SecureVersion, type TlsOptions } from 'node:tls';

export class TlsConfigError extends Error {
  readonly code = 'VIGIL_ERR_TLS_CONFIG';
}

export interface TlsMaterial {
  /** For tls.createServer / server.setSecureContext. */
  server: TlsOptions;
  /** For tls.connect on outbound links (client certificate, CA, protocols, ciphers). */
  client: ConnectionOptions;
}

const PROTOCOLS: Record<string, SecureVersion> = {
  tlsv1: 'TLSv1',
  'tlsv1.1': 'TLSv1.1',
  'tlsv1.2': 'TLSv1.2',
  'tlsv1.3': 'TLSv1.3',
};
const ORDER: SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

function read(directive: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new TlsConfigError(`${directive} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Every PEM certificate in a `tls-ca-cert-dir` (OpenSSL's c_rehash names or any others). */
function readCaDir(dir: string): Buffer[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new TlsConfigError(`tls-ca-cert-dir ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const out: Buffer[] = [];
  for (const n of names.sort()) {
    const p = join(dir, n);
    try {
      if (!statSync(p).isFile()) continue;
      const b = readFileSync(p);
      if (b.includes('-----BEGIN CERTIFICATE-----')) out.push(b);
    } catch {
      // An unreadable entry is skipped, as OpenSSL's directory lookup would.
    }
  }
  return out;
}

/** `tls-protocols "TLSv1.2 TLSv1.3"` → the contiguous range Node accepts (Redis allows any subset). */
export function protocolRange(spec: string | undefined): { minVersion: SecureVersion; maxVersion: SecureVersion } {
  // Redis's default (no directive): TLSv1.2 and TLSv1.3.
  if (spec === undefined || spec.trim() === '') return { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' };
  const chosen = new Set<SecureVersion>();
  for (const word of spec.trim().split(/\s+/)) {
    const v = PROTOCOLS[word.toLowerCase()];
    if (v === undefined)
      throw new TlsConfigError(`tls-protocols: unknown protocol '${word}' (use TLSv1.2 and/or TLSv1.3)`);
    chosen.add(v);
  }
  const idx = [...chosen].map((v) => ORDER.indexOf(v)).sort((a, b) => a - b);
  const lo = idx[0]!;
  const hi = idx[idx.length - 1]!;
  if (hi - lo + 1 !== idx.length) {
    throw new TlsConfigError(`tls-protocols: '${spec}' has a gap; Node.js can only use a contiguous range of versions`);
  }
  return { minVersion: ORDER[lo]!, maxVersion: ORDER[hi]! };
}

/** Whether these directives ask for TLS at all (a tls-port, or TLS on outbound links). */
export function wantsTls(tls: Readonly<Record<string, string>>): boolean {
  return Number(tls['tls-port'] ?? '0') > 0 || (tls['tls-replication'] ?? 'no') === 'yes';
}

/** Read the certificate files named by the `tls-*` directives (paths relative to the current directory). */
export function loadTlsMaterial(tls: Readonly<Record<string, string>>): TlsMaterial {
  const certFile = tls['tls-cert-file'];
  const keyFile = tls['tls-key-file'];
  if (certFile === undefined || keyFile === undefined) {
    throw new TlsConfigError(
      'TLS needs tls-cert-file and tls-key-file (the certificate and key this sentinel presents)',
    );
  }
  const cert = read('tls-cert-file', certFile);
  const key = read('tls-key-file', keyFile);
  const ca: Buffer[] = [];
  if (tls['tls-ca-cert-file'] !== undefined) ca.push(read('tls-ca-cert-file', tls['tls-ca-cert-file']));
  if (tls['tls-ca-cert-dir'] !== undefined) ca.push(...readCaDir(tls['tls-ca-cert-dir']));
  if (ca.length === 0) {
    throw new TlsConfigError('TLS needs tls-ca-cert-file or tls-ca-cert-dir (to verify clients and the instances)');
  }
  const range = protocolRange(tls['tls-protocols']);
  // Node takes TLSv1.2 ciphers and TLSv1.3 suites in one list; an unset part keeps Node's (OpenSSL's) default.
  const cipherParts = [tls['tls-ciphersuites'], tls['tls-ciphers']].filter((c): c is string => !!c && c !== '');
  const common: TlsOptions & ConnectionOptions = { ca, ...range };
  if (cipherParts.length > 0) common.ciphers = cipherParts.join(':');
  const keyPass = tls['tls-key-file-pass'];

  const auth = tls['tls-auth-clients'] ?? 'yes';
  const server: TlsOptions = {
    ...common,
    cert,
    key,
    requestCert: auth !== 'no',
    rejectUnauthorized: auth === 'yes',
    honorCipherOrder: tls['tls-prefer-server-ciphers'] === 'yes',
  };
  if (keyPass !== undefined) server.passphrase = keyPass;
  if (tls['tls-dh-params-file'] !== undefined) server.dhparam = read('tls-dh-params-file', tls['tls-dh-params-file']);
  if ((tls['tls-session-caching'] ?? 'yes') === 'no') {
    // No session resumption: no tickets, and a zero lifetime for the session-id cache.
    server.sessionTimeout = 0;
  } else {
    server.sessionTimeout = Number(tls['tls-session-cache-timeout'] ?? '300');
  }

  // Outbound: tls-client-cert-file/-key-file when set, else the server pair (Redis's rule).
  const clientCertFile = tls['tls-client-cert-file'];
  const clientKeyFile = tls['tls-client-key-file'];
  const client: ConnectionOptions = {
    ...common,
    cert: clientCertFile !== undefined ? read('tls-client-cert-file', clientCertFile) : cert,
    key: clientKeyFile !== undefined ? read('tls-client-key-file', clientKeyFile) : key,
    // Redis verifies the peer's chain against the CA but not its name (instances are addressed by IP).
    rejectUnauthorized: true,
    checkServerIdentity: () => undefined,
  };
  const clientPass = clientKeyFile !== undefined ? tls['tls-client-key-file-pass'] : keyPass;
  if (clientPass !== undefined) client.passphrase = clientPass;
  // Fail now, naming the problem (a wrong passphrase, a key that does not match, a bad cipher list), not at the
  // first connection.
  for (const [what, o] of [
    ['server certificate/key (tls-cert-file, tls-key-file)', server],
    ['client certificate/key (tls-client-cert-file, tls-client-key-file)', client],
  ] as const) {
    try {
      createSecureContext(o);
    } catch (e) {
      throw new TlsConfigError(`TLS ${what}: ${(e as Error).message}`);
    }
  }
  return { server, client };
}
