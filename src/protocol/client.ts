/**
 * ClientSession: the TypeScript counterpart of koji.ClientSession. Used by our CLI, and later by
 * the builder, kojira and web. Speaks exactly the wire protocol of docs/koji-protocol.md §1–§3:
 * session headers, callnum, keyword structs, multicall, sslLogin at SERVER/ssllogin over https,
 * re-login with renew=True on fault 1007, retries of non-fault failures.
 */
import type { HubMethod } from './api.ts';
import { open } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { basename } from 'node:path';
import { Adler32 } from '../util/adler32.ts';
import { decodeResponse } from './decode.ts';
import { encodeCall } from './encode.ts';
import { AuthExpired, KojiError, ServerOffline, faultToError, AuthError, ActionNotAllowed, GSSAPIAuthError } from './faults.ts';
import { HttpTransport, type TlsOptions } from './http.ts';
import { initiate, negotiateToken, useKerberosFiles } from './gssapi.ts';
import type { XmlRpcStruct, XmlRpcValue } from './values.ts';

export interface ClientOptions extends TlsOptions {
  /** seconds (Koji `timeout`, default 43200) */
  timeout?: number;
  /** seconds for login calls (Koji `auth_timeout`, default 60) */
  authTimeout?: number;
  maxRetries?: number;
  /** seconds between retries (first retry is immediate) */
  retryInterval?: number;
  anonRetry?: boolean;
  offlineRetry?: boolean;
  offlineRetryInterval?: number;
  uploadBlocksize?: number;
  debugXmlrpc?: (line: string) => void;
}

export interface SessionInfo {
  'session-id': number;
  'session-key': string;
  'header-auth'?: boolean;
}

/** Per call: `signal` aborts the call (it then rejects with the signal's reason, never retried). */
export interface CallOptions {
  signal?: AbortSignal;
}

export type MulticallResult = [XmlRpcValue] | { faultCode: number; faultString: string; traceback?: string[] };

type AuthMethod =
  | { method: 'login'; user: string; password: string; opts?: XmlRpcStruct | null }
  | { method: 'sslLogin'; proxyuser?: string | null; proxyauthtype?: number | null }
  | { method: 'gssapiLogin'; o: GssapiLoginOptions };

/** Koji's gssapi_login arguments: a principal (with its keytab) or the credentials cache's. */
export interface GssapiLoginOptions {
  principal?: string | null;
  keytab?: string | null;
  ccache?: string | null;
  proxyuser?: string | null;
  proxyauthtype?: number | null;
}

/** Keyword arguments travel as a trailing struct flagged `__starstar`. */
export function encodeArgs(args: XmlRpcValue[], kwargs?: Record<string, XmlRpcValue>): XmlRpcValue[] {
  if (!kwargs || Object.keys(kwargs).length === 0) return args;
  return [...args, { ...kwargs, __starstar: true }];
}

const sleep = (ms: number, signal?: AbortSignal) => delay(ms, undefined, { signal });

export class ClientSession {
  readonly baseurl: string;
  private readonly opts: ClientOptions;
  private readonly transport: HttpTransport;
  sinfo: SessionInfo | null = null;
  callnum: number | null = null;
  hubVersion: string | null = null;
  exclusive = false;
  private authMethod: AuthMethod | null = null;

  constructor(baseurl: string, opts: ClientOptions = {}) {
    this.baseurl = baseurl.replace(/\/+$/, '');
    this.opts = opts;
    this.transport = new HttpTransport(opts);
  }

  get loggedIn(): boolean {
    return this.sinfo !== null;
  }

  setSession(sinfo: SessionInfo | null): void {
    this.sinfo = sinfo;
    this.callnum = sinfo ? 0 : null;
  }

  /** Call a hub method (its name checked against the catalogue) with positional and keyword arguments. */
  async call<T = XmlRpcValue>(method: HubMethod, args: XmlRpcValue[] = [], kwargs?: Record<string, XmlRpcValue>, o: CallOptions = {}): Promise<T> {
    return this.callAny<T>(method, args, kwargs, o);
  }

  /** Call a method by a name known only at run time (the CLI's `call` command, tests of unknown names). */
  async callAny<T = XmlRpcValue>(method: string, args: XmlRpcValue[] = [], kwargs?: Record<string, XmlRpcValue>, o: CallOptions = {}): Promise<T> {
    try {
      return (await this.callOnce(method, args, kwargs, o)) as T;
    } catch (e) {
      if (e instanceof AuthExpired && this.authMethod && method !== 'login' && method !== 'sslLogin') {
        await this.renew();
        return (await this.callOnce(method, args, kwargs, o)) as T;
      }
      throw e;
    }
  }

  /** The session's headers; `sequenced: false` leaves out the callnum (and does not use one up). */
  private sessionHeaders(sequenced = true): Record<string, string> {
    if (!this.sinfo || this.callnum === null) return {};
    const headers: Record<string, string> = {
      'Koji-Session-Id': String(this.sinfo['session-id']),
      'Koji-Session-Key': String(this.sinfo['session-key']),
    };
    if (!sequenced) return headers;
    headers['Koji-Session-Callnum'] = String(this.callnum);
    this.callnum += 1;
    return headers;
  }

  private urlFor(method: string, query?: Record<string, string>): URL {
    let base = this.baseurl;
    if (method === 'sslLogin') base = base.replace(/^http:/, 'https:') + '/ssllogin';
    const url = new URL(base);
    if (query) for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return url;
  }

  /**
   * Requests of a logged-in session go one at a time, in callnum order: the hub refuses a callnum
   * lower than one it has stored (fault 1008), so calls made in parallel on one session would
   * fail at random. (Parallel work uses subsessions, as kojid's tasks do.) Anonymous calls carry
   * no callnum and go at once.
   */
  private serial: Promise<unknown> = Promise.resolve();

  private inTurn<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.sinfo) return fn();
    const run = this.serial.then(fn, fn);
    this.serial = run.catch(() => undefined);
    return run;
  }

  private async callOnce(method: string, args: XmlRpcValue[], kwargs?: Record<string, XmlRpcValue>, o: CallOptions = {}): Promise<XmlRpcValue> {
    const body = encodeCall(method, encodeArgs(args, kwargs));
    const isLogin = method === 'login' || method === 'sslLogin';
    return this.inTurn(() => {
      const headers = { ...this.sessionHeaders(), 'User-Agent': 'koji/1', 'Content-Type': 'text/xml' };
      return this.send(this.urlFor(method), body, headers, isLogin, method, o.signal);
    });
  }

  private async send(
    url: URL,
    body: Buffer | string,
    headers: Record<string, string>,
    isLogin: boolean,
    what: string,
    signal?: AbortSignal,
    onReply?: (headers: import('node:http').IncomingHttpHeaders) => void,
  ): Promise<XmlRpcValue> {
    const timeoutMs = ((isLogin ? this.opts.authTimeout ?? 60 : this.opts.timeout ?? 43200) * 1000) | 0;
    const maxRetries = this.opts.maxRetries ?? 30;
    const interval = (this.opts.retryInterval ?? 20) * 1000;
    let tries = 0;
    for (;;) {
      tries += 1;
      let reply;
      signal?.throwIfAborted();
      try {
        this.opts.debugXmlrpc?.(`url: ${url.href}\nbody: ${String(body).slice(0, 1024)}`);
        reply = await this.transport.post(url, body, headers, timeoutMs, signal);
        if (reply.status >= 400) {
          throw new Error(`${reply.status} error from ${url.host}: ${reply.body.toString('utf8').slice(0, 200)}`);
        }
        onReply?.(reply.headers);
        const v = reply.headers['koji-version'];
        if (typeof v === 'string') this.hubVersion = v;
        this.opts.debugXmlrpc?.(`reply: ${reply.body.toString('utf8').slice(0, 1024)}`);
        const res = decodeResponse(reply.body.toString('utf8'), { floats: true });
        if (res.ok) return res.value;
        const err = faultToError(res.faultCode, res.faultString);
        if (err instanceof ServerOffline && this.opts.offlineRetry) {
          await sleep((this.opts.offlineRetryInterval ?? 20) * 1000, signal);
          tries = 0;
          continue;
        }
        throw err;
      } catch (e) {
        if (e instanceof KojiError || (e as { faultCode?: number }).faultCode !== undefined) throw e;
        if (signal?.aborted) throw signal.reason;
        if (isCertError(e)) throw e;
        if (!this.loggedIn && !this.opts.anonRetry) throw e;
        if (tries > maxRetries) throw e;
        this.opts.debugXmlrpc?.(`try #${tries} for ${what} failed: ${(e as Error).message}`);
        if (tries > 1) await sleep(interval, signal);
      }
    }
  }

  async login(user: string, password: string, opts: XmlRpcStruct | null = null, renew = false): Promise<void> {
    this.authMethod = { method: 'login', user, password, opts };
    const kwargs: Record<string, XmlRpcValue> = { opts };
    if (renew) {
      kwargs.renew = true;
      kwargs.exclusive = this.exclusive;
    } else this.setSession(null);
    const sinfo = (await this.callOnce('login', [user, password], kwargs)) as unknown as SessionInfo | null;
    if (!sinfo) throw new AuthError(`login as ${user} failed: the hub returned no session`);
    this.setSession(sinfo);
  }

  async sslLogin(proxyuser: string | null = null, proxyauthtype: number | null = null, renew = false): Promise<void> {
    if (!this.opts.cert) throw new AuthError('No client cert provided (set `cert` in the profile)');
    this.authMethod = { method: 'sslLogin', proxyuser, proxyauthtype };
    const kwargs: Record<string, XmlRpcValue> = { proxyuser };
    if (renew) {
      kwargs.renew = true;
      kwargs.exclusive = this.exclusive;
    } else this.setSession(null);
    if (proxyauthtype !== null) kwargs.proxyauthtype = proxyauthtype;
    let sinfo: SessionInfo | null;
    try {
      sinfo = (await this.callOnce('sslLogin', [], kwargs)) as unknown as SessionInfo | null;
    } catch (e) {
      throw new AuthError(`unable to obtain a session (ssl auth failed: ${(e as Error).message})`, { cause: e });
    }
    if (!sinfo) throw new AuthError('unable to obtain a session');
    this.setSession(sinfo);
  }

  /**
   * Koji's gssapi_login: sslLogin at SERVER/ssllogin over https with a Kerberos token for
   * HTTP@<hub host> (sent at once rather than after a 401, which Koji's hubs accept alike), then
   * the hub's mutual-authentication token checked. Tickets come from `keytab` for `principal`,
   * or from the credentials cache (`ccache`, KRB5CCNAME, or the default one kinit fills).
   */
  async gssapiLogin(o: GssapiLoginOptions = {}, renew = false): Promise<void> {
    this.authMethod = { method: 'gssapiLogin', o };
    const kwargs: Record<string, XmlRpcValue> = { proxyuser: o.proxyuser ?? null };
    if (renew) {
      kwargs.renew = true;
      kwargs.exclusive = this.exclusive;
    } else this.setSession(null);
    if (o.proxyauthtype !== undefined && o.proxyauthtype !== null) kwargs.proxyauthtype = o.proxyauthtype;
    let sinfo: SessionInfo | null;
    const restore = useKerberosFiles({ clientKeytab: o.keytab, ccache: o.ccache });
    try {
      const url = this.urlFor('sslLogin');
      const ctx = await initiate(url.hostname, o.principal ?? null);
      let serverToken: string | null = null;
      const body = encodeCall('sslLogin', encodeArgs([], kwargs));
      const headers = { ...this.sessionHeaders(), 'User-Agent': 'koji/1', 'Content-Type': 'text/xml', Authorization: `Negotiate ${ctx.token}` };
      sinfo = (await this.inTurn(() =>
        this.send(url, body, headers, true, 'sslLogin', undefined, (h) => {
          serverToken = negotiateToken(typeof h['www-authenticate'] === 'string' ? h['www-authenticate'] : undefined);
        }),
      )) as unknown as SessionInfo | null;
      await ctx.verify(serverToken);
    } catch (e) {
      throw new GSSAPIAuthError(`unable to obtain a session (gssapi auth failed: ${(e as Error).message})`, { cause: e });
    } finally {
      restore();
    }
    if (!sinfo) throw new AuthError('unable to obtain a session');
    this.setSession(sinfo);
  }

  private async renew(): Promise<void> {
    const m = this.authMethod;
    if (!m) throw new KojiError('Missing info for reauthentication');
    if (m.method === 'login') await this.login(m.user, m.password, m.opts ?? null, true);
    else if (m.method === 'gssapiLogin') await this.gssapiLogin(m.o, true);
    else await this.sslLogin(m.proxyuser ?? null, m.proxyauthtype ?? null, true);
  }

  async logout(sessionId: number | null = null): Promise<void> {
    if (!this.loggedIn) return;
    try {
      await this.callOnce('logout', [], { session_id: sessionId });
    } catch (e) {
      if (!(e instanceof AuthExpired)) throw e;
    }
    if (!sessionId || sessionId === this.sinfo?.['session-id']) this.setSession(null);
  }

  /** A new ClientSession bound to a subsession of this one. */
  async subsession(): Promise<ClientSession> {
    const sinfo = (await this.call('subsession')) as unknown as SessionInfo;
    const child = new ClientSession(this.baseurl, this.opts);
    child.setSession(sinfo);
    child.authMethod = this.authMethod;
    return child;
  }

  /**
   * Run calls in one multiCall request (one transaction on the hub, a savepoint per call).
   * Each result is `[value]` or a fault struct; with `strict` the first fault is thrown.
   */
  async multiCall(
    calls: Array<{ method: string; args?: XmlRpcValue[]; kwargs?: Record<string, XmlRpcValue> }>,
    opts: { strict?: boolean; batch?: number } = {},
  ): Promise<MulticallResult[]> {
    const encoded = calls.map((c) => ({ methodName: c.method, params: encodeArgs(c.args ?? [], c.kwargs) }));
    const batch = opts.batch && opts.batch > 0 ? opts.batch : encoded.length || 1;
    const out: MulticallResult[] = [];
    for (let i = 0; i < encoded.length; i += batch) {
      const res = (await this.call('multiCall', [encoded.slice(i, i + batch)])) as unknown as MulticallResult[];
      out.push(...res);
    }
    if (opts.strict) {
      for (const r of out) if (!Array.isArray(r)) throw faultToError(r.faultCode, r.faultString);
    }
    return out;
  }

  /**
   * Upload one chunk with the octet-stream protocol (koji `rawUpload`).
   * Returns the hub's `{size, fileverify, offset, hexdigest}`.
   */
  async rawUpload(chunk: Buffer, offset: number, path: string, name: string, opts: UploadChunkOptions = {}): Promise<XmlRpcStruct> {
    if (!this.loggedIn) throw new ActionNotAllowed('you must be logged in to upload');
    const query: Record<string, string> = { filename: name, filepath: path, fileverify: opts.verify ?? 'adler32', offset: String(offset) };
    if (opts.overwrite) query.overwrite = '1';
    if (opts.volume) query.volume = opts.volume;
    const send = () => {
      const headers = { ...this.sessionHeaders(!opts.parallel), 'User-Agent': 'koji/1', 'Content-Type': 'application/octet-stream' };
      return this.send(this.urlFor('rawUpload', query), chunk, headers, false, 'rawUpload');
    };
    return (await (opts.parallel ? send() : this.inTurn(send))) as XmlRpcStruct;
  }

  /**
   * Upload a local file to work/<path>/<name> in chunks (Koji's fastUpload), checking each
   * chunk's size and adler32, then (when it took more than one chunk) the whole file with
   * checkUpload. `progress(done, total)` is
   * called after each chunk.
   */
  async uploadWrapper(localfile: string, path: string, name?: string, opts: UploadOptions = {}): Promise<void> {
    if (!this.loggedIn) throw new ActionNotAllowed('You must be logged in to upload files');
    const fname = name ?? basename(localfile);
    const blocksize = opts.blocksize ?? this.opts.uploadBlocksize ?? 1048576;
    const fh = await open(localfile, 'r');
    try {
      const total = (await fh.stat()).size;
      // the first chunk's checksum, continued over the next ones: the whole file's
      let whole: Adler32 | null = null;
      let ofs = 0;
      let chunks = 0;
      opts.progress?.(0, total);
      for (let first = true; ; first = false) {
        // a new buffer per chunk (not zero-filled: read fills what is sent), so no copy is needed
        const buf = Buffer.allocUnsafe(blocksize);
        const { bytesRead } = await fh.read(buf, 0, blocksize, ofs);
        if (bytesRead === 0 && !first) break;
        const chunk = buf.subarray(0, bytesRead);
        const res = await this.rawUpload(chunk, ofs, path, fname, { overwrite: opts.overwrite, volume: opts.volume && opts.volume !== 'DEFAULT' ? opts.volume : undefined, parallel: opts.parallel });
        chunks += 1;
        const part = new Adler32().update(chunk);
        const digest = part.hexdigest();
        if (whole) whole.update(chunk);
        else whole = part;
        if (res.size !== bytesRead) throw new KojiError(`server returned wrong chunk size: ${String(res.size)} != ${bytesRead}`);
        if (res.hexdigest !== digest) throw new KojiError(`upload checksum failed: ${String(res.hexdigest)} != ${digest}`);
        ofs += bytesRead;
        opts.progress?.(ofs, total);
        if (bytesRead === 0) break;
      }
      // Beyond Koji's client: a file sent in one piece at offset 0 is checked already (the hub
      // writes a new file, or truncates at 0, and answered that piece's size and adler32)
      if (chunks === 1 && ofs === total) return;
      const kw: Record<string, XmlRpcValue> = { verify: 'adler32' };
      if (opts.volume && opts.volume !== 'DEFAULT') kw.volume = opts.volume;
      const check = (await this.call('checkUpload', [path, fname], kw)) as XmlRpcStruct | null;
      if (!check) throw new KojiError(`File upload failed: ${path}/${fname}`);
      if (Number(check.size) !== ofs) throw new KojiError(`Uploaded file is wrong length: ${path}/${fname}, ${String(check.size)} != ${ofs}`);
      // the loop sends at least one chunk
      const sum = whole!.hexdigest();
      if (check.hexdigest !== sum) throw new KojiError(`Uploaded file has wrong checksum: ${path}/${fname}, ${String(check.hexdigest)} != ${sum}`);
    } finally {
      await fh.close();
    }
  }

  close(): void {
    this.transport.close();
  }
}

export interface UploadChunkOptions {
  overwrite?: boolean;
  volume?: string;
  verify?: string;
  /**
   * Send the chunk at once, without a callnum, instead of in turn with the session's other calls.
   * Koji's hub checks the order of a session's calls only when they carry a callnum, and a chunk
   * names its own offset, so chunks of different files may go side by side (a task uploading its
   * nine repodata files). Do not mix with a sequenced upload of the same file.
   */
  parallel?: boolean;
}

/** `parallel`: see UploadChunkOptions (the final checkUpload of a multi-chunk file stays in turn). */
export interface UploadOptions extends Pick<UploadChunkOptions, 'overwrite' | 'volume' | 'parallel'> {
  blocksize?: number;
  progress?: (done: number, total: number) => void;
}

function isCertError(e: unknown): boolean {
  const code = (e as { code?: string }).code ?? '';
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(code);
}
