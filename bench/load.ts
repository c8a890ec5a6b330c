/** One autocannon load of the hub with a fixed XML-RPC body (shared by the benchmarks). */
import autocannon from 'autocannon';

export interface Scenario {
  name: string;
  body: string;
  headers?: Record<string, string>;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  total: number;
}

export async function load(url: string, s: Scenario, opts: { connections: number; duration?: number; amount?: number }): Promise<LoadResult> {
  const result = await autocannon({
    url,
    method: 'POST',
    connections: opts.connections,
    pipelining: 1,
    timeout: 120,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.duration }),
    headers: { 'content-type': 'text/xml', ...(s.headers ?? {}) },
    body: s.body,
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${s.name}: ${result.non2xx} non-2xx replies, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, total: result.requests.total };
}
