import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { ApiError, onError, onNotFound } from "./errors";
import { apiErrorMap } from "./zod-messages";

function tinyApp(handler: () => never) {
  const app = new Hono();
  app.use(requestId({ generator: () => "req_test" }));
  app.get("/boom", handler);
  app.notFound(onNotFound);
  app.onError(onError);
  return app;
}

describe("onError", () => {
  it("maps D1's missing table to a 503 that says which migrations to apply", async () => {
    const res = await tinyApp(() => {
      throw new Error("D1_ERROR: no such table: api_keys: SQLITE_ERROR", {
        cause: new Error("no such table: api_keys"),
      });
    }).request("/boom");
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("database_not_migrated");
    expect(body.error.message).toMatch(/no table "api_keys".*wrangler d1 migrations apply DB --local.*--remote/);
  });

  it("maps a later migration's missing column to the same 503", async () => {
    const res = await tinyApp(() => {
      throw new Error("D1_ERROR: table runs has no column named content_hash: SQLITE_ERROR", {
        cause: new Error("table runs has no column named content_hash"),
      });
    }).request("/boom");
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("database_not_migrated");
    expect(body.error.message).toMatch(/no column "content_hash".*migrations apply/);
  });

  it("maps SQLite out of memory and Durable Object overload to a retryable 503, not a 500", async () => {
    const cases: [Error, RegExp][] = [
      [new Error("out of memory: SQLITE_NOMEM"), /storage: SQLITE_NOMEM/],
      [new Error("rpc failed", { cause: new Error("database is locked: SQLITE_BUSY") }), /storage: SQLITE_BUSY/],
      [Object.assign(new Error("Durable Object is overloaded."), { overloaded: true }), /overloaded/],
      [Object.assign(new Error("Network connection lost."), { retryable: true }), /could not be reached/],
    ];
    for (const [err, message] of cases) {
      const res = await tinyApp(() => {
        throw err;
      }).request("/boom");
      expect(res.status, err.message).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
      const body = (await res.json()) as { error: { type: string; code: string; message: string } };
      expect(body.error.type).toBe("api_error");
      expect(body.error.code).toBe("temporarily_unavailable");
      expect(body.error.message).toMatch(message);
      expect(body.error.message).toMatch(/Idempotency-Key/);
    }
    // Our own bugs stay 500s: a plain error is not taken for a transient one.
    const bug = await tinyApp(() => {
      throw new Error("Cannot read properties of undefined");
    }).request("/boom");
    expect(bug.status).toBe(500);
  });

  it("maps ApiError to its status and the JSON error shape", async () => {
    const res = await tinyApp(() => {
      throw new ApiError(413, "invalid_request_error", "too big", { param: "image", code: "image_too_large" });
    }).request("/boom");
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: { type: "invalid_request_error", message: "too big", param: "image", code: "image_too_large" },
    });
  });

  it("maps a ZodError to a 400 naming the dotted path", async () => {
    const schema = z.strictObject({
      search: z.strictObject({
        candidates: z.number().max(16, { error: "must be at most 16 (limit: candidates ≤ 16)" }),
      }),
    });
    const res = await tinyApp(() => {
      schema.parse({ search: { candidates: 17 } }, { error: apiErrorMap });
      throw new Error("unreachable");
    }).request("/boom");
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        type: "invalid_request_error",
        message: "search.candidates: must be at most 16 (limit: candidates ≤ 16)",
        param: "search.candidates",
        code: "invalid_parameter",
      },
    });
  });

  it("answers anything unexpected with a 500 carrying the request id, and no internals", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const res = await tinyApp(() => {
      throw new TypeError("secret internal detail");
    }).request("/boom");
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: Record<string, string> };
    expect(body.error).toMatchObject({ type: "api_error", code: "internal_error", request_id: "req_test" });
    expect(body.error.message).toMatch(/req_test/);
    expect(JSON.stringify(body)).not.toMatch(/secret/);
    expect(log).toHaveBeenCalled();
    log.mockRestore();
  });

  it("answers unknown routes with a JSON 404", async () => {
    const res = await tinyApp(() => {
      throw new Error("unreachable");
    }).request("/nothing-here");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      error: { type: "not_found_error", message: "no route for GET /nothing-here" },
    });
  });
});
