/** Builds: lookup by id, N-V-R string or {name, version, release}; the build row as Koji returns it. */
import { GenericError } from '../../protocol/faults.ts';
import { isStruct, type XmlRpcValue } from '../../protocol/values.ts';
import type { Row, Sql } from '../../db/types.ts';
import { batchedLookup, batchKey, type BatchRunner } from '../../db/batch.ts';
import { parseNVR } from '../../util/nvr.ts';
import { pyRepr } from '../../protocol/pyrepr.ts';
import { parseExtraColumn } from './stored-json.ts';

export interface BuildInfo {
  id: number;
  build_id: number;
  package_id: number;
  package_name: string;
  name: string;
  version: string;
  release: string;
  epoch: number | null;
  nvr: string;
  draft: boolean;
  state: number;
  task_id: number | null;
  owner_id: number;
  owner_name: string;
  volume_id: number;
  volume_name: string;
  creation_event_id: number;
  extra: Record<string, XmlRpcValue> | null;
  [k: string]: XmlRpcValue;
}

/** SELECT list and joins giving getBuild's keys for `build b`. */
export const BUILD_COLUMNS = `b.id, b.version, b.release, b.id AS build_id, b.epoch, b.draft, b.state,
  b.completion_time, b.promotion_time, b.start_time, b.task_id,
  e.id AS creation_event_id, e.time AS creation_time,
  p.id AS package_id, p.name AS package_name, p.name AS name,
  v.id AS volume_id, v.name AS volume_name,
  p.name || '-' || b.version || '-' || b.release AS nvr,
  date_part('epoch', e.time) AS creation_ts, date_part('epoch', b.start_time) AS start_ts,
  date_part('epoch', b.completion_time) AS completion_ts, date_part('epoch', b.promotion_time) AS promotion_ts,
  u.id AS owner_id, u.name AS owner_name, pr.id AS promoter_id, pr.name AS promoter_name,
  b.cg_id, cg.name AS cg_name, b.source, b.extra`;

export const BUILD_JOINS = `JOIN events e ON e.id = b.create_event
  JOIN package p ON p.id = b.pkg_id
  JOIN volume v ON v.id = b.volume_id
  JOIN users u ON u.id = b.owner
  LEFT JOIN users pr ON pr.id = b.promoter
  LEFT JOIN content_generator cg ON cg.id = b.cg_id`;

/** Parse a build's `extra` JSON text like Koji's _fix_extra_field. */
export function fixExtra<T extends { extra?: unknown }>(row: T): T {
  return parseExtraColumn(row, (text) => `No such build extra data: ${text}`);
}

/** What find_build_id accepts, checked: a build id, or the name, version and release to look up. */
function buildKey(info: unknown): number | [string, string, string] {
  if (typeof info === 'number' && Number.isInteger(info)) return info;
  let data: Record<string, unknown>;
  if (typeof info === 'string') data = parseNVR(info) as unknown as Record<string, unknown>;
  else if (isStruct(info)) data = info;
  else throw new GenericError(`Invalid type for argument: ${Array.isArray(info) ? 'list' : typeof info}`);
  if (!('name' in data && 'version' in data && 'release' in data)) throw new GenericError('did not provide name, version, and release');
  return [String(data.name), String(data.version), String(data.release)];
}

const BY_NVR = 'p.name = $1 AND b.version = $2 AND b.release = $3';

/** Koji's find_build_id. */
export async function findBuildId(sql: Sql, info: unknown, strict = false): Promise<number | null> {
  const key = buildKey(info);
  if (typeof key === 'number') return key;
  const id = await sql.value<number>(`SELECT b.id FROM build b JOIN package p ON p.id = b.pkg_id WHERE ${BY_NVR}`, key);
  if (id === null && strict) throw new GenericError(`No such build: ${pyRepr(info)}`);
  return id;
}

const BUILD_SELECT = `SELECT ${BUILD_COLUMNS} FROM build b ${BUILD_JOINS}`;

/*
 * Batches pass their keys as one JSON parameter: its row estimate does not depend on the value
 * (an array's would), so PostgreSQL settles on one cached plan instead of planning these 8-way
 * joins anew (~0.7 ms of server CPU) for every batch size; and each key is looked up by a
 * LATERAL subquery (OFFSET 0 keeps it one), so that plan is index lookups per key, never a
 * scan of all packages for the 100 keys the planner assumes.
 */

/** Builds by id, one statement for any number of ids. */
const buildsById: BatchRunner = async (sql, keys) => {
  const rows =
    keys.length === 1
      ? await sql.query(`${BUILD_SELECT} WHERE b.id = $1`, [Number(keys[0][0])])
      : await sql.query(`SELECT x.* FROM json_array_elements_text($1::json) AS k(id) CROSS JOIN LATERAL (${BUILD_SELECT} WHERE b.id = k.id::int OFFSET 0) x`, [
          JSON.stringify(keys.map((k) => Number(k[0]))),
        ]);
  return new Map(rows.map((r) => [String(r.id), r]));
};

/** Builds by name, version and release, one statement for any number of them. */
const buildsByNvr: BatchRunner = async (sql, keys) => {
  const rows =
    keys.length === 1
      ? await sql.query(`${BUILD_SELECT} WHERE ${BY_NVR}`, keys[0])
      : await sql.query(
          `SELECT x.* FROM json_to_recordset($1::json) AS k(n text, v text, r text)
             CROSS JOIN LATERAL (${BUILD_SELECT} WHERE p.name = k.n AND b.version = k.v AND b.release = k.r OFFSET 0) x`,
          [JSON.stringify(keys.map(([n, v, r]) => ({ n, v, r })))],
        );
  return new Map(rows.map((r: Row) => [batchKey([r.name as string, r.version as string, r.release as string]), r]));
};

/**
 * Koji's get_build: find_build_id and the row, in one query — shared with the other lookups of
 * the same turn on the pool (see db/batch.ts).
 */
export async function getBuild(sql: Sql, info: unknown, strict = false): Promise<BuildInfo | null> {
  const key = buildKey(info);
  const row = (typeof key === 'number' ? await batchedLookup(sql, buildsById, [String(key)]) : await batchedLookup(sql, buildsByNvr, key)) as BuildInfo | null;
  if (!row) {
    if (strict) throw new GenericError(`No such build: ${typeof key === 'number' ? String(info) : pyRepr(info)}`);
    return null;
  }
  return fixExtra(row);
}
