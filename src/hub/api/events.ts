/** Events: the clock of every versioned change. */
import { GenericError } from '../../protocol/faults.ts';
import { Float } from '../../protocol/values.ts';
import { method, t, type MethodDef } from '../registry.ts';

export const eventMethods: MethodDef[] = [
  method({
    name: 'getEvent',
    sig: '(id, strict=True)',
    doc: 'Get information about the event with the given id: {id, ts}',
    args: { id: t.intish, strict: t.flag },
    async handler(ctx, a) {
      const row = await ctx.sql.maybeOne(`SELECT id, date_part('epoch', time) AS ts FROM events WHERE id = $1`, [a.id]);
      if (!row && a.strict) throw new GenericError(`No such event: ${a.id}`);
      return row as never;
    },
  }),
  method({
    name: 'getLastEvent',
    sig: '(before=None, strict=True)',
    doc: 'Get the id and timestamp of the last event, or of the last one before a time (seconds since the epoch)',
    args: { strict: t.flag, before: t.any },
    async handler(ctx, a) {
      const before = a.before instanceof Float ? a.before.value : a.before;
      if (before !== null && typeof before !== 'number') throw new GenericError(`Invalid type for before: ${typeof before}`);
      const row = await ctx.sql.maybeOne(
        before === null
          ? `SELECT id, date_part('epoch', time) AS ts FROM events ORDER BY id DESC LIMIT 1`
          : `SELECT id, date_part('epoch', time) AS ts FROM events WHERE date_part('epoch', time) < $1 ORDER BY id DESC LIMIT 1`,
        before === null ? [] : [before],
      );
      if (!row && a.strict) throw new GenericError(before === null ? 'No events found' : `No event before ${before}`);
      return row as never;
    },
  }),
];
