/**
 * login and logout. `login` logs in with the browser's certificate when the hub's TLS layer
 * verified one (kojiweb's way), else offers a password form; both end with a signed session
 * cookie and a redirect to the page the user came from.
 */
import type { PageContext, PageResult } from '../context.ts';
import { COOKIE, type WebLogin } from '../logins.ts';
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
  if (ctx.req.clientCN && ctx.opts.WebAuthType !== 'gssapi') return loggedIn(ctx, await logins.certificate(ctx.req.clientCN), page);
  return form(ctx, page, null, 200);
}

function form(ctx: PageContext, page: string | null | undefined, error: string | null, status: number): PageResult {
  return { template: 'login.njk', title: 'Log in', status, data: { page: page ?? '', error, https: ctx.req.secure } };
}

export async function logout(ctx: PageContext): Promise<PageResult> {
  const { login } = ctx.action();
  await ctx.req.logins.logout(login);
  return { redirect: '/koji/', cookie: cookie(ctx, '', 0) };
}
