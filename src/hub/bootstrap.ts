/**
 * First-run content of the database, so no SQL is ever needed by hand: the admin user with the
 * admin permission and a password, the kojira user with the repo permission, and the first
 * build host (in the channels named, `default` when none). Idempotent: existing users, hosts
 * and grants are left as they are.
 */
import { USERTYPES, USER_STATUS } from '../protocol/enums.ts';
import { Sql, type Driver } from '../db/types.ts';
import { hashPassword } from './auth/password.ts';

export interface BootstrapSpec {
  admin: { name: string; password?: string | null };
  kojira?: string | null;
  builders?: Array<{ name: string; arches: string[]; channels?: string[] }>;
}

async function ensureUser(sql: Sql, name: string, usertype: number): Promise<number> {
  const id = await sql.value<number>('SELECT id FROM users WHERE name = $1', [name]);
  if (id !== null) return id;
  return (await sql.value<number>('INSERT INTO users (name, status, usertype) VALUES ($1, $2, $3) RETURNING id', [name, USER_STATUS.byName.NORMAL, usertype])) as number;
}

async function ensurePerm(sql: Sql, userId: number, perm: string, creator: number, event: () => Promise<number>): Promise<void> {
  const permId = await sql.value<number>('SELECT id FROM permissions WHERE name = $1', [perm]);
  if (permId === null) throw new Error(`permission ${perm} is missing from the database`);
  const has = await sql.value('SELECT 1 FROM user_perms WHERE active IS TRUE AND user_id = $1 AND perm_id = $2', [userId, permId]);
  if (has === null) {
    await sql.execute('INSERT INTO user_perms (user_id, perm_id, create_event, creator_id) VALUES ($1, $2, $3, $4)', [userId, permId, await event(), creator]);
  }
}

/** Returns what it created, for the set-up report. */
export async function bootstrapDatabase(db: Driver, spec: BootstrapSpec): Promise<string[]> {
  const created: string[] = [];
  await db.writeTransaction(async (tx) => {
    const sql = new Sql(tx);
    let eventId: number | null = null;
    const event = async () => (eventId ??= (await sql.value<number>('SELECT get_event()')) as number);
    const existed = await sql.value('SELECT id FROM users WHERE name = $1', [spec.admin.name]);
    const adminId = await ensureUser(sql, spec.admin.name, USERTYPES.byName.NORMAL);
    if (existed === null) created.push(`user ${spec.admin.name}`);
    await ensurePerm(sql, adminId, 'admin', adminId, event);
    if (spec.admin.password) {
      const hasPw = await sql.value<string>('SELECT password FROM users WHERE id = $1', [adminId]);
      if (!hasPw) {
        await sql.execute('UPDATE users SET password = $1 WHERE id = $2', [await hashPassword(spec.admin.password), adminId]);
        created.push(`password for ${spec.admin.name}`);
      }
    }
    if (spec.kojira) {
      const had = await sql.value('SELECT id FROM users WHERE name = $1', [spec.kojira]);
      const kojiraId = await ensureUser(sql, spec.kojira, USERTYPES.byName.NORMAL);
      if (had === null) created.push(`user ${spec.kojira}`);
      await ensurePerm(sql, kojiraId, 'repo', adminId, event);
    }
    for (const b of spec.builders ?? []) {
      if ((await sql.value('SELECT id FROM host WHERE name = $1', [b.name])) !== null) continue;
      const userId = await ensureUser(sql, b.name, USERTYPES.byName.HOST);
      await sql.execute('UPDATE users SET usertype = $1 WHERE id = $2', [USERTYPES.byName.HOST, userId]);
      const hostId = await sql.value<number>('INSERT INTO host (user_id, name) VALUES ($1, $2) RETURNING id', [userId, b.name]);
      const e = await event();
      await sql.execute('INSERT INTO host_config (host_id, arches, create_event, creator_id) VALUES ($1, $2, $3, $4)', [hostId, b.arches.join(' '), e, adminId]);
      for (const name of b.channels ?? ['default']) {
        const channel = await sql.value<number>('SELECT id FROM channels WHERE name = $1', [name]);
        if (channel === null) throw new Error(`channel ${name} is missing from the database`);
        await sql.execute('INSERT INTO host_channels (host_id, channel_id, create_event, creator_id) VALUES ($1, $2, $3, $4)', [hostId, channel, e, adminId]);
      }
      created.push(`host ${b.name}`);
    }
  });
  return created;
}
