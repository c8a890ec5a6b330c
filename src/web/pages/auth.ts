/**
 * login and logout. `login` logs in the way web.conf says (webAuthType): with the browser's
 * certificate when the hub's TLS layer verified one (kojiweb's ssl), or with its Kerberos ticket
 * (gssapi: a 401 Negotiate challenge, then the ticket; kerberos.ts); a password form is offered
 * besides (`login?method=password`). All end with a signed session cookie and a redirect to the
 * page the user came from.
 */
import type { PageContext, PageResult } from '../context.ts';
import { COOKIE, type WebLogin } from '../logins.ts';
import { acceptBrowser, NegotiateNeeded } from '../kerberos.ts';
import { webAuthType } from '../../config/web.ts';
import { KojiError } from '../../protocol/faults.ts';

/** Only this web's own pages are redirect targets (no open redirect). */
function backTo(page: string | null | undefined): string {
  return page && /^[a-z]+(\?[^\s]*)?$/.test(page) ? `/koji/${page}` : '/koji/';
}

function cookie(ctx: PageContext, value: string, maxAge: number): string {
  return `${COOKIE}=${value}; Path=/koji; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${ctx.req.secure ? '; Secure' : ''}`;
}

function loggedIn(ctx: PageContext, l: WebLogin, page: string | null | undefined): PageResult {
  return { redirect: backTo(page), cookie: cookie(ctx, ctx.req.logins.cookieValue(l), ctx.opts.LoginTimeout * 3600) };
}

/** login?… with `method` (and the page to go back to) */
function loginLink(method: string | null, page: string | null | undefined): string {
  const q = new URLSearchParams();
  if (method) q.set('method', method);
  if (page) q.set('page', page);
  const s = q.toString();
  return s ? `login?${s}` : 'login';
}

export async function login(ctx: PageContext): Promise<PageResult> {
  const page = ctx.req.form?.get('page') ?? ctx.params.str('page');
  if (ctx.login) return { redirect: backTo(page) };
  const logins = ctx.req.logins;
  if (ctx.req.method === 'POST') {
    const user = ctx.req.form?.get('user')?.trim() ?? '';
    const password = ctx.req.form?.get('password') ?? '';
    if (!user || !password) return form(ctx, page, 'Give a user name and a password.', 400);
    try {
      return loggedIn(ctx, await logins.password(user, password), page);
    } catch (e) {
      if (e instanceof KojiError) return form(ctx, page, e.message, 401);
      throw e;
    }
  }
  const method = ctx.params.str('method');
  const gssapi = webAuthType(ctx.opts) === 'gssapi';
  if (method === 'password') return form(ctx, page, null, 200);
  if (ctx.req.clientCN && (!gssapi || method === 'certificate')) return loggedIn(ctx, await logins.certificate(ctx.req.clientCN), page);
  if (method === 'certificate') return form(ctx, page, 'Your browser sent no client certificate the hub accepts.', 401);
  if (gssapi) return kerberos(ctx, page);
  return form(ctx, page, null, 200);
}

async function kerberos(ctx: PageContext, page: string | null | undefined): Promise<PageResult> {
  const logins = ctx.req.logins;
  logins.need();
  try {
    const ticket = await acceptBrowser(ctx.req.headers.authorization);
    const done = loggedIn(ctx, await logins.kerberos(ticket.principal), page);
    return ticket.response ? { ...done, headers: { 'WWW-Authenticate': `Negotiate ${ticket.response}` } } : done;
  } catch (e) {
    if (!(e instanceof NegotiateNeeded)) throw e;
    const certificate = ctx.opts.WebCert && ctx.req.secure ? loginLink('certificate', page) : null;
    return {
      template: 'login-kerberos.njk',
      title: 'Log in',
      status: 401,
      headers: { 'WWW-Authenticate': 'Negotiate' },
      data: { reason: e.reason, retry: loginLink(null, page), password: loginLink('password', page), certificate },
    };
  }
}

function form(ctx: PageContext, page: string | null | undefined, error: string | null, status: number): PageResult {
  const kerberos = webAuthType(ctx.opts) === 'gssapi' ? loginLink(null, page) : null;
  return { template: 'login.njk', title: 'Log in', status, data: { page: page ?? '', error, https: ctx.req.secure, kerberos } };
}

export async function logout(ctx: PageContext): Promise<PageResult> {
  const { login } = ctx.action();
  await ctx.req.logins.logout(login);
  return { redirect: '/koji/', cookie: cookie(ctx, '', 0) };
}
