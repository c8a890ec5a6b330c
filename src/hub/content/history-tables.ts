/**
 * What queryHistory knows about each versioned table: its own columns (in Koji's order) and the
 * name joins those columns trigger, giving the result keys Koji's query_history returns
 * (`tag.name`, `user.name`, `permission.name`, build `name`/`version`/`release` …).
 *
 * `joined` maps a joined table to the alias its filter applies to. As in Koji, a later column
 * joining the same table wins: on tag_inheritance `tag` is `parent` (the tag filter is special
 * cased there), on build_target_config it is `dest_tag`, on user_groups `users` is the group,
 * on tag_package_owners it is the owner and on group_req_listing `groups` is the required group.
 */

/** Columns every versioned table has, as [sql expression, result key]. */
const COMMON = (table: string): Array<[string, string]> => [
  [`${table}.active`, 'active'],
  [`${table}.create_event`, 'create_event'],
  [`${table}.revoke_event`, 'revoke_event'],
  [`${table}.creator_id`, 'creator_id'],
  [`${table}.revoker_id`, 'revoker_id'],
  ['creator.name', 'creator_name'],
  ['revoker.name', 'revoker_name'],
  ["date_part('epoch', ev1.time)", 'create_ts'],
  ["date_part('epoch', ev2.time)", 'revoke_ts'],
];

const COMMON_JOINS = (table: string): string[] => [
  `JOIN events AS ev1 ON ev1.id = ${table}.create_event`,
  `LEFT JOIN events AS ev2 ON ev2.id = ${table}.revoke_event`,
  `JOIN users AS creator ON creator.id = ${table}.creator_id`,
  `LEFT JOIN users AS revoker ON revoker.id = ${table}.revoker_id`,
];

/** Each history table's own columns, in Koji's order. */
export const HISTORY_TABLE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  user_perms: ['user_id', 'perm_id'],
  user_groups: ['user_id', 'group_id'],
  cg_users: ['user_id', 'cg_id'],
  tag_inheritance: ['tag_id', 'parent_id', 'priority', 'maxdepth', 'intransitive', 'noconfig', 'pkg_filter'],
  tag_config: ['tag_id', 'arches', 'perm_id', 'locked', 'maven_support', 'maven_include_all'],
  tag_extra: ['tag_id', 'key', 'value'],
  build_target_config: ['build_target_id', 'build_tag', 'dest_tag'],
  external_repo_config: ['external_repo_id', 'url'],
  external_repo_data: ['external_repo_id', 'data'],
  host_config: ['host_id', 'arches', 'capacity', 'description', 'comment', 'enabled'],
  host_channels: ['host_id', 'channel_id'],
  tag_external_repos: ['tag_id', 'external_repo_id', 'priority', 'merge_mode'],
  tag_listing: ['build_id', 'tag_id'],
  tag_packages: ['package_id', 'tag_id', 'blocked', 'extra_arches'],
  tag_package_owners: ['package_id', 'tag_id', 'owner'],
  group_config: ['group_id', 'tag_id', 'blocked', 'exported', 'display_name', 'is_default', 'uservisible', 'description', 'langonly', 'biarchonly'],
  group_req_listing: ['group_id', 'tag_id', 'req_id', 'blocked', 'type', 'is_metapkg'],
  group_package_listing: ['group_id', 'tag_id', 'package', 'blocked', 'type', 'basearchonly', 'requires'],
};

/** All history tables, sorted (the default list, in the order results come back). */
export const HISTORY_TABLES: readonly string[] = Object.keys(HISTORY_TABLE_FIELDS).sort();

/** column → [table, join alias, result-key prefix] for the `<prefix>.name` keys. */
const NAME_JOINS: Readonly<Record<string, [string, string, string]>> = {
  user_id: ['users', 'users', 'user'],
  perm_id: ['permissions', 'permission', 'permission'],
  cg_id: ['content_generator', 'content_generator', 'content_generator'],
  tag_id: ['tag', 'tag', 'tag'],
  host_id: ['host', 'host', 'host'],
  channel_id: ['channels', 'channels', 'channels'],
  parent_id: ['tag', 'parent', 'parent'],
  build_target_id: ['build_target', 'build_target', 'build_target'],
  build_tag: ['tag', 'build_tag', 'build_tag'],
  dest_tag: ['tag', 'dest_tag', 'dest_tag'],
  external_repo_id: ['external_repo', 'external_repo', 'external_repo'],
  package_id: ['package', 'package', 'package'],
  owner: ['users', 'owner', 'owner'],
  req_id: ['groups', 'req', 'req'],
};

export interface HistoryTable {
  name: string;
  /** the table's own columns */
  fields: readonly string[];
  /** [sql expression, result key] */
  columns: Array<[string, string]>;
  joins: string[];
  /** joined table → the alias filters on that table use */
  joined: Map<string, string>;
}

/** The query parts for one history table (without filters). */
export function historyTable(table: string): HistoryTable {
  const fields = HISTORY_TABLE_FIELDS[table];
  if (!fields) throw new Error(`not a history table: ${table}`);
  const columns = COMMON(table);
  const joins = COMMON_JOINS(table);
  const joined = new Map<string, string>();
  for (const field of fields) {
    columns.push([`${table}.${field}`, field]);
    const nj = NAME_JOINS[field];
    if (nj) {
      const [tbl, alias, key] = nj;
      joined.set(tbl, alias);
      columns.push([`${alias}.name`, `${key}.name`]);
      joins.push(alias === tbl ? `LEFT JOIN ${tbl} ON ${table}.${field} = ${tbl}.id` : `LEFT JOIN ${tbl} AS ${alias} ON ${table}.${field} = ${alias}.id`);
    } else if (field === 'build_id') {
      columns.push(['package.name', 'name'], ['build.version', 'version'], ['build.release', 'release'], ['build.epoch', 'epoch'], ['build.state', 'build.state']);
      joins.push(`JOIN build ON ${table}.build_id = build.id`, 'JOIN package ON build.pkg_id = package.id');
      joined.set('build', 'build');
      joined.set('package', 'package');
    } else if (field === 'group_id') {
      if (table.startsWith('group_')) {
        columns.push(['groups.name', 'group.name']);
        joins.push(`JOIN groups ON ${table}.group_id = groups.id`);
        joined.set('groups', 'groups');
      } else if (table === 'user_groups') {
        columns.push(['usergroup.name', 'group.name']);
        joins.push(`JOIN users AS usergroup ON ${table}.group_id = usergroup.id`);
        joined.set('users', 'usergroup');
      }
    }
  }
  return { name: table, fields, columns, joins, joined };
}
