// `host:port` parsing for the HTTP endpoint's `--http` option. A module of its own so the sentinel can parse its
// command line without loading the HTTP server and prom-client (~13 MB of RSS) when the endpoint is off.

/** Parse `host:port`, `[v6]:port` or `:port` (host defaults to 127.0.0.1); null when malformed. */
export function parseHostPort(s: string, defaultHost = '127.0.0.1'): { host: string; port: number } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(s);
  if (!m) return null;
  const port = Number(m[3]);
  if (port > 65535) return null;
  const host = m[1] ?? (m[2] === '' || m[2] === undefined ? defaultHost : m[2]);
  return { host, port };
}
