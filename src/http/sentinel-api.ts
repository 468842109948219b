// One sentinel's HTTP endpoint: the Observer's views as the JSON API, its registry as /metrics, its event and
// failover streams as SSE. Started by the sentinel process when `vigil-http-port` or `--http` is set.
import { Observer, type ObservedSentinel } from './observer.js';
import { startHttp, type ApiProvider, type HttpEndpoint } from './server.js';

const intParam = (q: URLSearchParams, key: string, def: number, max: number): number => {
  const v = q.get(key);
  if (v === null || !/^\d{1,6}$/.test(v)) return def;
  return Math.min(Number(v), max);
};

export function sentinelApi(obs: Observer): ApiProvider {
  return {
    metrics: async () => ({ contentType: obs.registry.contentType, body: await obs.registry.metrics() }),
    get: (path, q) => {
      const master = q.get('master') ?? undefined;
      switch (path) {
        case 'info':
          return Promise.resolve(obs.info());
        case 'masters':
          return Promise.resolve(obs.masters());
        case 'replicas':
          return Promise.resolve(obs.replicas(master));
        case 'sentinels':
          return Promise.resolve(obs.sentinels(master));
        case 'events':
          return Promise.resolve(obs.recentEvents(intParam(q, 'limit', 100, 1000), intParam(q, 'since', 0, 1e15)));
        case 'failovers':
          return Promise.resolve(obs.recentFailovers(intParam(q, 'limit', 20, 100)));
        case 'explain':
          return Promise.resolve(obs.explain());
        default:
          return Promise.resolve(undefined);
      }
    },
    subscribe: (since, send) => {
      for (const f of obs.recentFailovers()) send('failover', null, f);
      for (const e of obs.recentEvents(since === 0 ? 100 : 1000, since)) send('sentinel', e.id, e);
      const a = obs.onEventRecorded((e) => send('sentinel', e.id, e));
      const b = obs.onFailoverChanged((f) => send('failover', null, f));
      return () => {
        a();
        b();
      };
    },
  };
}

export interface SentinelHttp {
  endpoint: HttpEndpoint;
  observer: Observer;
  close(): Promise<void>;
}

export async function startSentinelHttp(
  src: ObservedSentinel,
  opts: { host: string; port: number; token?: string; log?: (m: string) => void },
): Promise<SentinelHttp> {
  const observer = new Observer(src);
  try {
    const endpoint = await startHttp({ ...opts, api: sentinelApi(observer) });
    return {
      endpoint,
      observer,
      close: async () => {
        observer.close();
        await endpoint.close();
      },
    };
  } catch (e) {
    observer.close();
    throw e;
  }
}
