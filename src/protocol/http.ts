/**
 * A small HTTP(S) POST helper over Node's http/https with keep-alive agents and optional client
 * certificates. Node's built-ins are the well-kept library here; fetch() cannot present client
 * certificates without an extra dispatcher package.
 */
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';

export interface TlsOptions {
  /** PEM file holding the client certificate and its key (Koji's `cert`). */
  cert?: string;
  /** PEM file of the CA that signed the server certificate (Koji's `serverca`). */
  serverca?: string;
  /** Skip verification of the server certificate (`no_ssl_verify`). */
  noSslVerify?: boolean;
}

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export class HttpTransport {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  private httpsAgent: https.Agent | null = null;
  constructor(private readonly tls: TlsOptions = {}) {}

  private agentFor(url: URL): http.Agent {
    if (url.protocol === 'http:') return this.httpAgent;
    if (!this.httpsAgent) {
      const opts: https.AgentOptions = { keepAlive: true, maxSockets: 8 };
      if (this.tls.cert) {
        const pem = readFileSync(this.tls.cert);
        opts.cert = pem;
        opts.key = pem;
      }
      if (this.tls.serverca) opts.ca = readFileSync(this.tls.serverca);
      if (this.tls.noSslVerify) opts.rejectUnauthorized = false;
      this.httpsAgent = new https.Agent(opts);
    }
    return this.httpsAgent;
  }

  post(url: URL, body: Buffer | string, headers: Record<string, string>, timeoutMs: number, signal?: AbortSignal): Promise<HttpReply> {
    const mod = url.protocol === 'https:' ? https : http;
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      return Promise.reject(new Error(`unsupported URL scheme in ${url.href}: use http or https`));
    }
    const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        url,
        {
          method: 'POST',
          agent: this.agentFor(url),
          headers: { ...headers, 'Content-Length': String(data.length) },
          timeout: timeoutMs,
          signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`request to ${url.host} timed out after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(data);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent?.destroy();
  }
}
