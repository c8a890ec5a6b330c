/**
 * The hub's HTTP(S) front: Koji's WSGI behaviour without Apache. POST at or below /kojihub is
 * XML-RPC (or an upload when Content-Type is application/octet-stream); other methods get 405.
 * Every reply carries Koji-Version. Problems reading the body are text/plain 400/408 like Koji;
 * everything else — a body that is too long, not XML-RPC or carries a bad value included — is
 * HTTP 200 with a fault. Other paths go to `fallback` (web UI, files).
 */
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';
import { BadValueError, decodeCall, DecodeError } from '../protocol/decode.ts';
import { encodeFault, encodeResponse, encodeResponseParts, ReplyTooLarge } from '../protocol/encode.ts';
import { ReplyCache, CACHEABLE_METHODS } from './reply-cache.ts';
import { KOJI_VERSION } from '../protocol/version.ts';
import { GenericError, KojiError, ParameterError } from '../protocol/faults.ts';
import { peerIdentity } from './auth/peer.ts';
import { handleCall } from './dispatch.ts';
import { negotiate } from './auth/negotiate.ts';
import type { Hub, RequestInfo } from './types.ts';

export const HUB_PATH = '/kojihub';

export type RouteHandler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => boolean | Promise<boolean>;

export interface UploadHandler {
  (hub: Hub, info: RequestInfo, req: http.IncomingMessage): Promise<import('./call.ts').CallOutcome>;
}

export interface FrontOptions {
  /** extra routes tried before 404 (web UI, file tree) */
  fallback?: RouteHandler;
  upload?: UploadHandler;
}

class BadRequest extends Error {}
class RequestTimeout extends Error {}

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer | Buffer[], extra: Record<string, string> = {}): void {
  const parts = Array.isArray(body) ? body : [typeof body === 'string' ? Buffer.from(body, 'utf8') : body];
  const length = parts.reduce((n, b) => n + b.length, 0);
  res.writeHead(status, { 'Koji-Version': KOJI_VERSION, 'Content-Type': type, 'Content-Length': String(length), ...extra });
  for (let i = 0; i < parts.length - 1; i++) res.write(parts[i]);
  res.end(parts[parts.length - 1]);
}

function readBody(req: http.IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (max > 0 && declared > max) {
    req.resume();
    return Promise.reject(new GenericError('Request too long'));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (max > 0 && size > max) {
        done = true;
        req.resume();
        reject(new GenericError('Request too long'));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks, size));
    });
    req.on('error', (e) => {
      if (!done) reject(/timeout/i.test(e.message) ? new RequestTimeout(e.message) : new BadRequest(e.message));
    });
    req.on('aborted', () => {
      if (!done) reject(new BadRequest('client closed the connection before sending the whole request'));
    });
  });
}

export function requestInfo(req: http.IncomingMessage, url: URL): RequestInfo {
  const socket = req.socket as TLSSocket;
  return {
    remoteAddr: socket.remoteAddress ?? '',
    headers: req.headers,
    query: url.searchParams,
    peer: socket.encrypted ? peerIdentity(socket) : null,
    sslLoginPath: /\/ssllogin\/?$/.test(url.pathname),
  };
}

export function createRequestListener(hub: Hub, opts: FrontOptions = {}): http.RequestListener {
  return (req, res) => {
    handle(hub, opts, req, res).catch((e: Error) => {
      hub.log.error({ err: e }, 'request failed');
      if (!res.headersSent) send(res, 500, 'text/plain', 'Internal error\n');
      else res.destroy();
    });
  };
}

async function handle(hub: Hub, opts: FrontOptions, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://hub.invalid');
  } catch {
    req.resume();
    send(res, 400, 'text/plain', 'Invalid request: bad URL\n');
    return;
  }
  const isHub = url.pathname === HUB_PATH || url.pathname.startsWith(HUB_PATH + '/');
  if (!isHub) {
    if (opts.fallback && (await opts.fallback(req, res, url))) return;
    send(res, 404, 'text/plain', `Not found: ${url.pathname}\nThe Koji hub is at ${HUB_PATH}.\n`);
    return;
  }
  if (req.method !== 'POST') {
    req.resume();
    send(res, 405, 'text/plain', 'Method Not Allowed\nThis is an XML-RPC server. Only POST requests are accepted.\n', { Allow: 'POST' });
    return;
  }
  const info = requestInfo(req, url);
  const gone = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  info.signal = gone.signal;
  // headers for the reply (the Kerberos mutual-authentication token)
  let replyHeaders: Record<string, string> = {};
  if (info.sslLoginPath && hub.options.AuthKeytab) {
    const n = await negotiate(hub, req, info);
    if (!n.ok) {
      req.resume();
      send(res, 401, 'text/plain', `${n.message}\n`, { 'WWW-Authenticate': 'Negotiate' });
      return;
    }
    replyHeaders = n.headers;
  }
  if (req.headers['content-type'] === 'application/octet-stream') {
    if (!opts.upload) {
      req.resume();
      send(res, 200, 'text/xml', encodeFault(1000, 'uploads are not available on this hub yet'));
      return;
    }
    const outcome = await opts.upload(hub, info, req);
    send(res, 200, 'text/xml', outcome.ok ? encodeResponse(outcome.value) : encodeFault(outcome.faultCode, outcome.faultString));
    return;
  }
  let call;
  let cacheKey: string | undefined;
  try {
    const body = await readBody(req, hub.options.MaxRequestLength);
    if (body.length === 0) throw new GenericError('Invalid request: Empty request');
    try {
      call = decodeCall(body.toString('utf8'));
      if (CACHEABLE_METHODS.has(call.methodName) && hub.replyCache.maxBytes > 0) cacheKey = ReplyCache.key(call.methodName, body);
    } catch (e) {
      if (e instanceof BadValueError) throw new ParameterError(e.message);
      if (e instanceof DecodeError) throw new GenericError(`Invalid request: ${e.message}`);
      throw e;
    }
  } catch (e) {
    // a body that was read but cannot be used is answered with a fault, as Koji's hub does
    // (its parser errors become faults): clients retry HTTP errors, never faults
    if (e instanceof KojiError) send(res, 200, 'text/xml', encodeFault(e.faultCode, e.message), replyHeaders);
    else if (e instanceof RequestTimeout) send(res, 408, 'text/plain', `${e.message}\n`);
    else if (e instanceof BadRequest) send(res, 400, 'text/plain', `${e.message}\n`);
    else throw e;
    return;
  }
  const outcome = await handleCall(hub, info, call.methodName, call.params, cacheKey);
  if (outcome.ok && outcome.stream) {
    res.writeHead(200, { 'Koji-Version': KOJI_VERSION, 'Content-Type': 'text/xml', 'Content-Length': String(outcome.stream.size), ...replyHeaders });
    outcome.stream.stream.on('error', () => res.destroy()).pipe(res);
    return;
  }
  let body: string | Buffer[];
  try {
    body = outcome.ok ? encodeResponseParts(outcome.value, hub.options.MaxReplySize) : encodeFault(outcome.faultCode, outcome.faultString);
  } catch (e) {
    if (e instanceof ReplyTooLarge) {
      body = encodeFault(GenericError.faultCode, `reply of ${call.methodName} too large: it passes the hub's limit of ${e.limit} bytes (MaxReplySize in hub.conf); ask for less (filters, queryOpts limit/offset)`);
    } else body = encodeFault(1, `<class 'EncodeError'>: ${(e as Error).message}`);
  }
  send(res, 200, 'text/xml', body, replyHeaders);
  if (outcome.ok && cacheKey && outcome.cacheTicket !== undefined && Array.isArray(body)) {
    hub.replyCache.put(outcome.cacheTicket, cacheKey, body).catch((e: Error) => hub.log.warn({ err: e.message }, 'reply cache write failed'));
  }
}

export interface TlsFiles {
  cert: string;
  key?: string | null;
  ca?: string | null;
}

export function createServers(hub: Hub, tls: TlsFiles | null, opts: FrontOptions = {}): { http: http.Server; https: https.Server | null } {
  const listener = createRequestListener(hub, opts);
  const plain = http.createServer({ keepAliveTimeout: 30_000, requestTimeout: 600_000 }, listener);
  let secure: https.Server | null = null;
  if (tls) {
    const certPem = readFileSync(tls.cert);
    secure = https.createServer(
      {
        cert: certPem,
        key: tls.key ? readFileSync(tls.key) : certPem,
        ca: tls.ca ? readFileSync(tls.ca) : undefined,
        // verification happens at sslLogin, which reports why a certificate was refused
        requestCert: true,
        rejectUnauthorized: false,
        keepAliveTimeout: 30_000,
        requestTimeout: 600_000,
      },
      listener,
    );
  }
  return { http: plain, https: secure };
}
