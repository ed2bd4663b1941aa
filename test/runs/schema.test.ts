import { env, runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { migrate, MIGRATIONS, SCHEMA_VERSION } from "../../src/runs/schema";

it("migrates an object created by an older deploy in place, keeping its rows", async () => {
  const stub = env.RUNS.get(env.RUNS.newUniqueId());
  await runInDurableObject(stub, (_obj, state) => {
    const sql = state.storage.sql;
    // What a v1 deploy left behind: the v1 tables and one run.
    for (const statement of MIGRATIONS[0] ?? []) sql.exec(statement);
    sql.exec(`INSERT INTO meta (key, value) VALUES ('schema_version', '1')`);
    sql.exec(
      `INSERT INTO run (id, model, spec, status, limits, created_at) VALUES ('run_old', 'mock:fixed', '{}', 'succeeded', '{}', 1)`,
    );
    state.storage.transactionSync(() => migrate(sql));
    expect(sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`).one().value).toBe(
      String(SCHEMA_VERSION),
    );
    const row = sql.exec<{ id: string; owner: string | null }>(`SELECT id, owner FROM run`).one();
    expect(row).toEqual({ id: "run_old", owner: null });
    expect(sql.exec(`SELECT COUNT(*) AS n FROM outbox`).one().n).toBe(0);
    // Running it again changes nothing.
    state.storage.transactionSync(() => migrate(sql));
    expect(sql.exec(`SELECT COUNT(*) AS n FROM run`).one().n).toBe(1);
  });
});
