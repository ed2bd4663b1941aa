// The OpenAPI document the client is generated from (clients/ts/openapi.json, kept equal to what
// the service serves by `npm run check:client`) is valid OpenAPI 3.1 by a standard validator, and
// documents the webhooks.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Validator } from "@seriousme/openapi-schema-validator";

const doc = JSON.parse(readFileSync("clients/ts/openapi.json", "utf8"));

test("validates as OpenAPI 3.1", async () => {
  const validator = new Validator();
  const result = await validator.validate(doc);
  assert.equal(validator.version, "3.1");
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 1));
});

test("documents every run event as a webhook, with the signature headers", () => {
  for (const type of ["run.started", "stage.completed", "run.succeeded", "run.failed", "run.canceled"]) {
    const hook = doc.webhooks?.[type]?.post;
    assert.ok(hook, `webhooks.${type}`);
    const headers = hook.parameters.filter((p) => p.in === "header").map((p) => p.name);
    assert.deepEqual(headers.sort(), ["webhook-id", "webhook-signature", "webhook-timestamp"]);
  }
});
