/**
 * /koji and /koji-static forwarded to the web process (kojiweb), as Apache's mod_proxy would in
 * front of a Koji hub: one origin serves the hub, the file tree and the web. The web listens on
 * a Unix socket in a private folder (hub.conf WebSocket = web.conf ListenSocket); what the TLS
 * layer here learned of the browser's client certificate goes along in X-Kojits-Client-DN /
 * X-Kojits-Client-Verify (as mod_ssl's SSL_CLIENT_S_DN / SSL_CLIENT_VERIFY reach kojiweb). Any
 * such header a client sent itself is dropped first.
 */
import http from 'node:http';
import type { TLSSocket } from 'node:tls';
import { peerIdentity } from './auth/peer.ts';
import type { RouteHandler } from './http.ts';

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];

export function webProxyRoute(socketPath: string): RouteHandler {
  return (req, res, url) => {
    const p = url.pathname;
    if (!(p === '/' || p === '/koji' || p.startsWith('/koji/') || p.startsWith('/koji-static/'))) return false;
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || HOP_BY_HOP.includes(k) || k.startsWith('x-kojits-')) continue;
      headers[k] = v;
    }
    const socket = req.socket as TLSSocket;
    headers['x-forwarded-for'] = socket.remoteAddress ?? '';
    headers['x-forwarded-proto'] = socket.encrypted ? 'https' : 'http';
    if (socket.encrypted) {
      const peer = peerIdentity(socket);
      headers['x-kojits-client-verify'] = peer.verify;
      if (peer.dn) headers['x-kojits-client-dn'] = encodeURIComponent(peer.dn);
      if (peer.components.CN) headers['x-kojits-client-cn'] = encodeURIComponent(peer.components.CN);
    }
    return new Promise<boolean>((resolve) => {
      const up = http.request({ socketPath, path: req.url, method: req.method, headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
        r.on('end', () => resolve(true));
        r.on('error', () => {
          res.destroy();
          resolve(true);
        });
      });
      up.on('error', (e: NodeJS.ErrnoException) => {
        if (!res.headersSent) {
          const body = `The web interface is not running (${e.code ?? e.message}): start it with \`kojits up\` or \`kojits web -c web.conf\`.\n`;
          res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) }).end(body);
        } else res.destroy();
        resolve(true);
      });
      // a browser that goes away stops the page it asked for (live logs)
      res.on('close', () => up.destroy());
      req.pipe(up);
    });
  };
}
