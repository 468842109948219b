// The dashboard endpoint of `vigil up`: one page for the whole group, fed by every sentinel's HTTP endpoint.
// JSON views come from the first sentinel that answers (masters, explain) or are merged (failovers: the
// leader's record wins; `views`: each sentinel's own view); SSE is every sentinel's stream merged, so the
// leader's phases show whichever sentinel leads. A sentinel that dies is retried; nothing here is authoritative.
import { request } from 'node:http';
import { startHttp, type ApiProvider, type HttpEndpoint } from './server.js';

export interface GroupSentinel {
  host: string;
  port: number;
}

export function getJson(s: GroupSentinel, path: string, timeoutMs = 2000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ host: s.host, port: s.port, path, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
        if (body.length > 16 * 1024 * 1024) req.destroy(new Error('too large'));
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode ?? 0}`));
        try {
          resolve(JSON.parse(body));
        } catch (e) {
          reject(e as Error);
        }
      });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

interface FailoverLike {
  id: string;
  leader: boolean;
  startedAt: number;
}

export function groupApi(sentinels: GroupSentinel[]): ApiProvider & { close(): void } {
  const first = async (path: string): Promise<unknown> => {
    for (const s of sentinels) {
      try {
        return await getJson(s, path);
      } catch {
        // next
      }
    }
    return { error: 'no sentinel answers' };
  };
  const all = (path: string): Promise<Array<unknown>> =>
    Promise.all(sentinels.map((s) => getJson(s, path).catch(() => null)));
  const mergeFailovers = (lists: unknown[]): FailoverLike[] => {
    const byId = new Map<string, FailoverLike>();
    for (const l of lists) {
      if (!Array.isArray(l)) continue;
      for (const f of l as FailoverLike[]) {
        const had = byId.get(f.id);
        if (!had || (f.leader && !had.leader)) byId.set(f.id, f);
      }
    }
    return [...byId.values()].sort((a, b) => a.startedAt - b.startedAt);
  };
  const subscribers = new Set<(event: string, id: number | null, data: unknown) => void>();
  const streams: Array<{ stop(): void }> = [];
  let started = false;
  let closed = false;
  const startStreams = (): void => {
    if (started) return;
    started = true;
    sentinels.forEach((s, index) => {
      let req: ReturnType<typeof request> | null = null;
      let timer: NodeJS.Timeout | null = null;
      let lastId = 0;
      const connectOnce = (): void => {
        if (closed) return;
        req = request(
          {
            host: s.host,
            port: s.port,
            path: `/api/v1/events?since=${lastId}`,
            headers: { accept: 'text/event-stream' },
          },
          (res) => {
            let buf = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => {
              buf += c;
              let i: number;
              while ((i = buf.indexOf('\n\n')) >= 0) {
                const block = buf.slice(0, i);
                buf = buf.slice(i + 2);
                const ev = /^event: (.*)$/m.exec(block)?.[1];
                const data = /^data: (.*)$/m.exec(block)?.[1];
                const id = /^id: (\d+)$/m.exec(block)?.[1];
                if (id !== undefined) lastId = Number(id);
                if (ev === undefined || data === undefined) continue;
                let parsed: unknown;
                try {
                  parsed = JSON.parse(data);
                } catch {
                  continue;
                }
                const tagged = { ...(parsed as object), via: `${s.host}:${s.port}`, sentinelIndex: index };
                for (const sub of subscribers) sub(ev, null, tagged);
              }
              if (buf.length > 1024 * 1024) res.destroy();
            });
            res.on('close', retry);
          },
        );
        req.on('error', retry);
        req.end();
      };
      const retry = (): void => {
        if (closed || timer) return;
        timer = setTimeout(() => {
          timer = null;
          connectOnce();
        }, 1000);
        timer.unref();
      };
      connectOnce();
      streams.push({
        stop: () => {
          if (timer) clearTimeout(timer);
          req?.destroy();
        },
      });
    });
  };
  return {
    get: async (path, q) => {
      switch (path) {
        case 'masters':
        case 'explain':
        case 'info':
          return first(`/api/v1/${path}`);
        case 'views': {
          const views = await all('/api/v1/masters');
          return sentinels.map((s, i) => ({ sentinel: `${s.host}:${s.port}`, masters: views[i] ?? null }));
        }
        case 'failovers':
          return mergeFailovers(await all('/api/v1/failovers'));
        case 'events': {
          const lists = await all(`/api/v1/events?limit=${Number(q.get('limit') ?? 100) || 100}`);
          return lists
            .flatMap((l) => (Array.isArray(l) ? (l as Array<{ at: number }>) : []))
            .sort((a, b) => a.at - b.at);
        }
        default:
          return undefined;
      }
    },
    subscribe: (_since, send) => {
      startStreams();
      subscribers.add(send);
      return () => subscribers.delete(send);
    },
    close: () => {
      closed = true;
      for (const s of streams) s.stop();
      subscribers.clear();
    },
  };
}

export async function startGroupDashboard(
  sentinels: GroupSentinel[],
  opts: { host: string; port: number },
): Promise<{ endpoint: HttpEndpoint; close(): Promise<void> }> {
  const api = groupApi(sentinels);
  const endpoint = await startHttp({ host: opts.host, port: opts.port, api });
  return {
    endpoint,
    close: async () => {
      api.close();
      await endpoint.close();
    },
  };
}
