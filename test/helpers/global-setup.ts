/**
 * Test-run set-up: decides which database engines the run covers and, for the PostgreSQL
 * server, creates a template database for this run (migrated once) that test files clone;
 * everything this run created is dropped at the end.
 *
 * KOJITS_TEST_PG: URL of the server's maintenance database (default
 * postgres://postgres@127.0.0.1:5432/postgres). When the server does not answer, tests run on
 * PGlite only — except under CI=true, where a missing server is a failure.
 */
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/open.ts';

const DEFAULT_PG = 'postgres://postgres@127.0.0.1:5432/postgres';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const adminUrl = process.env.KOJITS_TEST_PG ?? DEFAULT_PG;
  const runId = `kojits_test_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  let available = false;
  try {
    await admin.connect();
    available = true;
  } catch (e) {
    if (process.env.CI === 'true') throw new Error(`CI=true but PostgreSQL at ${adminUrl} does not answer: ${(e as Error).message}`, { cause: e });
    console.warn(`PostgreSQL at ${adminUrl} does not answer; tests run on PGlite only`);
  }
  const template = `${runId}_tmpl`;
  if (available) {
    await admin.query(`CREATE DATABASE ${template}`);
    const url = new URL(adminUrl);
    url.pathname = `/${template}`;
    const db = await openDatabase({ url: url.href });
    await db.close();
  }
  project.provide('pgAdminUrl', available ? adminUrl : '');
  project.provide('pgTemplate', available ? template : '');
  project.provide('runId', runId);
  return async () => {
    if (!available) return;
    const rows = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${runId}%`]);
    for (const r of rows.rows) {
      await admin.query(`DROP DATABASE IF EXISTS ${r.datname} WITH (FORCE)`);
    }
    await admin.end();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
    runId: string;
  }
}
