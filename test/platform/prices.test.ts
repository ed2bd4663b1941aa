/** The price table (PRICES): parsing, lookup, and the snapshot a run is billed with. */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app/create-app";
import { parsePriceTable, priceOf, PriceTableError } from "../../src/platform/prices";
import type { RunView } from "../../src/runs/contract";
import { expectError, validBody } from "../api/helpers";
import { TEST_API_KEY } from "../helpers/auth";
import { createTestKey } from "../helpers/admin";
import { createRun } from "./helpers";

describe("price table", () => {
  it("the configured table prices Workers AI at its listed price and the mock models", () => {
    const table = parsePriceTable(env.PRICES);
    expect(priceOf(table, "workers-ai:@cf/meta/llama-3.2-11b-vision-instruct")).toEqual({
      input_per_mtok_usd: 0.049,
      output_per_mtok_usd: 0.68,
    });
    expect(priceOf(table, "mock:fixed")).toEqual({ input_per_mtok_usd: 1, output_per_mtok_usd: 2 });
    expect(priceOf(table, "mock:anything")).toEqual(priceOf(table, "mock:*"));
    expect(priceOf(table, "openai:llava-cot")).toBeUndefined();
  });

  it("an exact entry wins over the backend's wildcard; empty means free", () => {
    const table = parsePriceTable(
      JSON.stringify({
        "mock:*": { input_per_mtok_usd: 1, output_per_mtok_usd: 1 },
        "mock:x": { input_per_mtok_usd: 3, output_per_mtok_usd: 4 },
      }),
    );
    expect(priceOf(table, "mock:x")?.input_per_mtok_usd).toBe(3);
    expect(parsePriceTable(undefined)).toEqual({});
    expect(parsePriceTable("  ")).toEqual({});
  });

  it.each([
    ["{", /PRICES is not valid JSON/],
    [
      JSON.stringify({ "mock:*": { input_per_mtok_usd: -1, output_per_mtok_usd: 1 } }),
      /at mock:\*\.input_per_mtok_usd/,
    ],
    [JSON.stringify({ "mock:*": { input: 1 } }), /PRICES is not a price table/],
  ])("rejects %s", (raw, message) => {
    expect(() => parsePriceTable(raw)).toThrow(PriceTableError);
    expect(() => parsePriceTable(raw)).toThrow(message);
  });

  it("a broken PRICES var refuses to start runs with a 503 naming it (nothing is created)", async () => {
    const res = await createApp().request(
      "/v1/runs",
      {
        method: "POST",
        headers: { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" },
        body: JSON.stringify(validBody()),
      },
      { ...env, PRICES: "{oops" },
    );
    await expectError(res, 503, /this deployment is not configured: PRICES is not valid JSON/, {
      code: "deployment_not_configured",
    });
  });

  it("a run is billed from its model's price: (input + judge input) × in + (output + judge output) × out", async () => {
    const k = await createTestKey({ name: "priced" });
    const view = (await (
      await createRun(k.key, { search: { candidates: 2 } }, { Prefer: "wait=30" })
    ).json()) as RunView;
    const u = view.usage;
    const expected =
      (((u.input_tokens ?? 0) + (u.judge_input_tokens ?? 0)) * 1 +
        ((u.output_tokens ?? 0) + (u.judge_output_tokens ?? 0)) * 2) /
      1e6;
    expect(expected).toBeGreaterThan(0);
    expect(u.cost_usd).toBeCloseTo(expected, 12);
  });
});
