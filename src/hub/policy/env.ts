/**
 * PolicyEnv: everything the hub policy tests need from the hub (database lookups and the
 * current session), as a small interface so the tests can run without a database. The hub
 * implements it once per call; unit tests use a fake.
 *
 * Each member mirrors the Koji hub function the corresponding Python test calls. Lookups take
 * whatever a caller put into policy data (an id, a name, an NVR or an info map, like Koji's
 * get_* functions accept), hence `unknown` parameters, and return null when nothing matches;
 * the policy code turns a null into Koji's error where Koji's lookup is strict.
 */

/** A user as get_user returns it (the fields the tests use). */
export interface PolicyUser {
  id: number;
  name: string;
  /** koji.USERTYPES: 0 NORMAL, 1 HOST, 2 GROUP */
  usertype: number;
}

/** koji.USERTYPES['GROUP'] */
export const USERTYPE_GROUP = 2;

/** A build as get_build returns it (the fields the tests use). */
export interface PolicyBuild {
  id: number;
  name: string;
  version: string;
  release: string;
  package_id: number;
  owner_id: number;
  volume_id: number;
  volume_name: string;
  /** build.source; null when unknown (then the build task's parameters are consulted) */
  source: string | null;
  /** build.task_id; null for imports and content-generator builds */
  task_id: number | null;
  /** build.extra (legacy OSBS builds keep their task id in extra.container_koji_task_id) */
  extra: Record<string, unknown> | null;
  draft?: boolean;
}

/** A tag as get_tag returns it. */
export interface PolicyTag {
  id: number;
  name: string;
  /** the event the tag was read at (set when looked up at a past event), else null/absent */
  query_event?: number | null;
}

/** A buildroot as get_buildroot returns it (the fields the tests use). */
export interface PolicyBuildroot {
  /** tag of the buildroot's repo; null for content-generator buildroots without a tag */
  tag_name: string | null;
  /** content generator that reported the buildroot; null for buildroots Koji made itself */
  cg_name: string | null;
  /** event at which the buildroot's repo was created (to read the tag as it was then) */
  repo_create_event_id: number | null;
}

/** A build target as get_build_target returns it (the fields the tests use). */
export interface PolicyTarget {
  build_tag: number;
  build_tag_name: string;
}

/** A task's method and its parameters by name (koji.tasks.parse_task_params). */
export interface PolicyTaskRequest {
  method: string;
  params: Record<string, unknown>;
}

export interface PolicyEnv {
  /**
   * Id of the user logged in for the current call (context.session.user_id), or null when
   * the call is anonymous. Used when policy data has no `user_id`.
   */
  sessionUserId(): number | null;

  /** get_user(user): by id, name/principal or info map; null if no such user. */
  getUser(user: unknown): Promise<PolicyUser | null>;

  /** get_user_groups(userId): the groups the user belongs to. */
  userGroups(userId: number): Promise<Array<{ id: number; name: string }>>;

  /** get_user_perms(userId): permission names, including those the user has through groups. */
  userPerms(userId: number): Promise<string[]>;

  /** lookup_package(pkg, strict=False): by id or name; null if the package does not exist. */
  lookupPackage(pkg: unknown): Promise<{ id: number; name: string } | null>;

  /** get_build(build): by id, NVR string or info map; null if no such build. */
  getBuild(build: unknown): Promise<PolicyBuild | null>;

  /** get_build_type(build).keys(): the build's types (rpm, maven, win, image, or a custom btype). */
  buildTypes(buildId: number): Promise<string[]>;

  /**
   * buildroot_id of every rpm (list_rpms) and archive (list_archives) of the build, in that
   * order; null for components without a buildroot (imported).
   */
  componentBuildroots(buildId: number): Promise<Array<number | null>>;

  /** get_buildroot(brId); null if no such buildroot. */
  getBuildroot(brId: number): Promise<PolicyBuildroot | null>;

  /** list_tags(build=buildId): names of the tags the build is currently tagged into. */
  tagsOfBuild(buildId: number): Promise<string[]>;

  /**
   * get_tag(tag, event=event): by id, name or info map; `event` undefined means "auto"
   * (current, or the tag's last state if deleted). Null if no such tag.
   */
  getTag(tag: unknown, event?: number | null): Promise<PolicyTag | null>;

  /**
   * Names of the tag's ancestors in full inheritance order (readFullInheritance(tagId, event)),
   * NOT including the tag itself.
   */
  tagAncestors(tagId: number, event?: number | null): Promise<string[]>;

  /** get_build_target(target, strict=False): by id or name; null if no such target. */
  getBuildTarget(target: unknown): Promise<PolicyTarget | null>;

  /** lookup_name('volume', volume, strict=False): the volume's name, null if none. */
  lookupVolume(volume: unknown): Promise<string | null>;

  /** lookup_name('content_generator', cg): the content generator's name, null if none. */
  lookupContentGenerator(cg: unknown): Promise<string | null>;

  /** The task's method and parsed parameters (Task(id).getInfo(request=True)); null if none. */
  taskRequest(taskId: number): Promise<PolicyTaskRequest | null>;
}
