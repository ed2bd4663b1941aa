// The deployment rules (scripts/lib/deploy-config.mjs) on the real wrangler.toml and on broken copies of it.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  configProblems,
  modelsOf,
  placeholders,
  readEnvironment,
  servesEmbedded,
} from "../../scripts/lib/deploy-config.mjs";

test("production serves no mock, no development flag, the GPU-only build, logs on", () => {
  const prod = readEnvironment("production");
  assert.deepEqual(configProblems("production", prod), []);
  assert.ok(modelsOf(prod).length > 0);
  assert.ok(modelsOf(prod).every((m) => !m.startsWith("mock:")));
  assert.equal(servesEmbedded(prod), false);
  assert.match(prod.main, /src\/index-gpu\.ts$/);
  assert.equal(prod.observability?.enabled, true);
  assert.equal(prod.vars.ENVIRONMENT, "production");
  for (const flag of ["ALLOW_MOCK_BACKENDS", "ALLOW_HTTP_WEBHOOKS", "ALLOW_HTTP_IMAGE_URLS"])
    assert.notEqual(prod.vars[flag], "1");
});

test("staging passes the rules too; the local top level is exempt", () => {
  assert.deepEqual(configProblems("staging", readEnvironment("staging")), []);
  assert.deepEqual(configProblems("local", readEnvironment("local")), []);
});

test("each rule catches its break", () => {
  const prod = readEnvironment("production");
  const broken = (patch) => configProblems("production", { ...prod, ...patch, vars: { ...prod.vars, ...patch.vars } });
  assert.match(broken({ vars: { MODELS: "workers-ai:x,mock:fixed" } }).join("\n"), /mock models \(mock:fixed\)/);
  assert.match(broken({ vars: { ALLOW_MOCK_BACKENDS: "1" } }).join("\n"), /ALLOW_MOCK_BACKENDS = "1"/);
  assert.match(broken({ vars: { ALLOW_HTTP_WEBHOOKS: "1" } }).join("\n"), /ALLOW_HTTP_WEBHOOKS/);
  assert.match(broken({ vars: { ENVIRONMENT: "development" } }).join("\n"), /ENVIRONMENT/);
  assert.match(broken({ observability: { enabled: false } }).join("\n"), /observability/);
  assert.match(broken({ main: "/x/src/index.ts" }).join("\n"), /bundles the embedded model's engine/);
  assert.match(broken({ vars: { MODEL_SOURCE: "r2" } }).join("\n"), /MODEL_BUCKET/);
});

test("values still to fill are listed with where they are", () => {
  const todo = placeholders(readEnvironment("production"));
  assert.ok(
    todo.some((t) => t.startsWith("d1_databases[0].database_id: REPLACE_WITH_")),
    todo.join("\n"),
  );
  assert.deepEqual(placeholders(readEnvironment("local")), []);
});
