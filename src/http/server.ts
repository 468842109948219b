// The HTTP endpoint shared by a sentinel (`vigil-http-port`, `--http`) and `vigil up`: /metrics, the JSON API
// under /api/v1 (with /api/v1/events as Server-Sent Events) and the dashboard's static files. It only reads
// through an ApiProvider; whatever a client sends is hostile: GET/HEAD only, bounded URL and headers, request
// and header timeouts, a connection cap, no file path built from the URL, and an SSE client that stops reading
// is dropped instead of buffering for it.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export { parseHostPort } from './host-port.js';

export interface ApiProvider {
  /** Prometheus text; absent = 404 on /metrics. */
  metrics?(): Promise<{ contentType: string; body: string }>;
  /** The JSON for `/api/v1/<path>` (path without the prefix), undefined = 404. */
  get(path: string, query: URLSearchParams): Promise<unknown>;
  /**
   * Server-Sent Events: replay what is newer than `since` (an event id; 0 = a recent backlog), then push live
   * events; returns the unsubscribe function.
   */
  subscribe(since: number, send: (event: string, id: number | null, data: unknown) => void): () => void;
}

export interface HttpOptions {
  host: string;
  port: number;
  /** Bearer token required for /metrics and /api (the dashboard's static files stay public). */
  token?: string;
  api: ApiProvider;
  log?: (message: string) => void;
  /** Most concurrent connections (default 128) and SSE streams (default 32). */
  maxConnections?: number;
  maxStreams?: number;
  /** Bytes queued for one SSE client before it is dropped (default 256 KiB). */
  maxStreamBacklog?: number;
}

export interface HttpEndpoint {
  readonly server: Server;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

const MAX_URL = 2048;
/** An SSE client more than this far behind is disconnected (it can reconnect with Last-Event-ID). */
const MAX_SSE_BACKLOG = 256 * 1024;
const SSE_HEARTBEAT_MS = 15_000;

const WEB_DIR = new URL('../../web/', import.meta.url);
const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
};

function loadStatic(): Map<string, { body: Buffer; type: string }> {
  const out = new Map<string, { body: Buffer; type: string }>();
  for (const [path, s] of Object.entries(STATIC)) {
    try {
      out.set(path, { body: readFileSync(new URL(s.file, WEB_DIR)), type: s.type });
    } catch {
      // A missing asset is a 404, not a crash.
    }
  }
  return out;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, head = false): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...(type.startsWith('text/html')
      ? { 'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'" }
      : {}),
  });
  res.end(head ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, value: unknown, head = false): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value) + '\n', head);
}

export async function startHttp(opts: HttpOptions): Promise<HttpEndpoint> {
  const statics = loadStatic();
  const tokenDigest = opts.token !== undefined ? digest(opts.token) : null;
  const maxStreams = opts.maxStreams ?? 32;
  const maxBacklog = opts.maxStreamBacklog ?? MAX_SSE_BACKLOG;
  const streams = new Set<ServerResponse>();

  const authorized = (req: IncomingMessage, url: URL): boolean => {
    if (tokenDigest === null) return true;
    const h = req.headers.authorization;
    let given: string | null = null;
    if (typeof h === 'string' && /^Bearer /i.test(h)) given = h.slice(7).trim();
    // EventSource cannot send headers: the dashboard passes the token as a query parameter.
    else given = url.searchParams.get('token');
    return given !== null && timingSafeEqual(digest(given), tokenDigest);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? '';
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendJson(res, 405, { error: 'method not allowed' });
    }
    const head = method === 'HEAD';
    const raw = req.url ?? '/';
    if (raw.length > MAX_URL) return sendJson(res, 414, { error: 'URI too long' }, head);
    let url: URL;
    try {
      url = new URL(raw, 'http://localhost');
    } catch {
      return sendJson(res, 400, { error: 'bad request' }, head);
    }
    const path = url.pathname;
    const st = statics.get(path);
    if (st) return send(res, 200, st.type, st.body, head);
    if (path === '/healthz') return send(res, 200, 'text/plain; charset=utf-8', 'ok\n', head);
    if (path !== '/metrics' && !path.startsWith('/api/v1/')) return sendJson(res, 404, { error: 'not found' }, head);
    if (!authorized(req, url)) {
      res.setHeader('www-authenticate', 'Bearer realm="vigil"');
      return sendJson(res, 401, { error: 'unauthorized' }, head);
    }
    if (path === '/metrics') {
      if (!opts.api.metrics) return sendJson(res, 404, { error: 'not found' }, head);
      const m = await opts.api.metrics();
      return send(res, 200, m.contentType, m.body, head);
    }
    const sub = path.slice('/api/v1/'.length);
    const wantsStream =
      sub === 'events' &&
      ((req.headers.accept ?? '').includes('text/event-stream') || url.searchParams.get('stream') === '1');
    if (wantsStream && !head) return stream(req, res, url);
    const value = await opts.api.get(sub, url.searchParams);
    if (value === undefined) return sendJson(res, 404, { error: 'not found' }, head);
    return sendJson(res, 200, value, head);
  };

  const stream = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    if (streams.size >= maxStreams) return sendJson(res, 503, { error: 'too many event streams' });
    const lastId = req.headers['last-event-id'] ?? url.searchParams.get('since') ?? '0';
    const since = /^\d{1,15}$/.test(String(lastId)) ? Number(lastId) : 0;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      connection: 'keep-alive',
    });
    // No request timeout for a stream (the server-wide one would cut it).
    req.socket.setTimeout(0);
    streams.add(res);
    res.write('retry: 1000\n\n');
    let done = false;
    const stop = (): void => {
      if (done) return;
      done = true;
      streams.delete(res);
      clearInterval(beat);
      unsubscribe();
    };
    const write = (chunk: string): void => {
      if (done) return;
      res.write(chunk);
      if (res.writableLength > maxBacklog) {
        stop();
        res.destroy();
      }
    };
    const beat = setInterval(() => write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
    beat.unref();
    const unsubscribe = opts.api.subscribe(since, (event, id, data) => {
      write(`event: ${event}\n${id !== null ? `id: ${id}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
    });
    res.on('close', stop);
    res.on('error', stop);
  };

  const server = createServer(
    { maxHeaderSize: 8192, requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000 },
    (req, res) => {
      // Request bodies are never read: drain nothing, answer, and let the server close the connection.
      handle(req, res).catch((e: unknown) => {
        opts.log?.(`HTTP handler error: ${(e as Error).message}`);
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.destroy();
      });
    },
  );
  server.maxConnections = opts.maxConnections ?? 128;
  server.on('clientError', (e: NodeJS.ErrnoException, socket) => {
    const status =
      e.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : e.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? '408 Request Timeout'
          : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => opts.log?.(`HTTP server error: ${e.message}`));
  const a = server.address() as AddressInfo;
  const shown = a.address.includes(':') ? `[${a.address}]` : a.address;
  return {
    server,
    host: a.address,
    port: a.port,
    url: `http://${shown}:${a.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of streams) s.destroy();
        streams.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
