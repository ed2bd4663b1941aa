/**
 * Shared by the bad-input fuzz suites (fuzz.test.ts, batch-fuzz.test.ts): the seed and the scale,
 * and one check of any response against the API's contract, with counts per route (cases tried,
 * statuses, failures) printed at the end of the suite.
 *
 * The contract: never a 5xx; a 4xx is a JSON error `{error: {type, message, ...}}` (405 with
 * `Allow`, 401 with `WWW-Authenticate`, 429 with `Retry-After`); a 2xx is a correct answer of its
 * route. Accepted runs are collected so that the suite can check that nothing else was created.
 */
import type fc from "fast-check";
import { expect } from "vitest";

const viteEnv = (import.meta as unknown as { env?: Record<string, string | undefined> }).env ?? {};
/** fast-check's seed: VITE_RELIABILITY_SEED replays a run; printed by each suite. */
export const SEED = Number(viteEnv.VITE_RELIABILITY_SEED ?? Math.floor(Math.random() * 2 ** 31));
const SCALE = Number(viteEnv.VITE_RELIABILITY_SCALE ?? 1);

/**
 * `n` cases times the scale (VITE_RELIABILITY_SCALE), cut short after `seconds` times the scale,
 * so that a suite stays bounded in time on a loaded machine (`npm test` runs it at scale 1,
 * `npm run test:reliability` at 3); the printed counts say how many cases ran.
 */
export const runs = (n: number, seconds = 4): fc.Parameters<unknown> => ({
  numRuns: Math.max(1, Math.round(n * SCALE)),
  seed: SEED,
  endOnFailure: true,
  interruptAfterTimeLimit: seconds * 1000 * Math.max(1, SCALE),
  markInterruptAsFailure: false,
});

export const ERROR_TYPES = [
  "invalid_request_error",
  "not_found_error",
  "method_not_allowed_error",
  "idempotency_error",
  "authentication_error",
  "permission_error",
  "rate_limit_error",
  "budget_error",
  "api_error",
];
const RUN_ID = /^run_[0-9a-f]{64}$/;
const BATCH_ID = /^batch_[0-9a-f]{64}$/;
const TERMINAL = ["succeeded", "failed", "canceled"];

export type Route =
  | "POST /v1/runs"
  | "GET /v1/runs/:id"
  | "GET /v1/runs/:id/events"
  | "POST /v1/runs/:id/cancel"
  | "POST /v1/runs/:id/fork"
  | "GET /v1/runs"
  | "POST /v1/chat/completions"
  | "GET /v1/models"
  | "GET /v1/usage"
  | "/admin/keys"
  | "POST /v1/batches"
  | "GET /v1/batches/:id"
  | "GET /v1/batches/:id/results"
  | "POST /v1/batches/:id/cancel"
  | "any method, any path";

export interface RouteStats {
  cases: number;
  statuses: Record<string, number>;
  failures: number;
}

export class FuzzLedger {
  readonly stats = new Map<Route, RouteStats>();
  /** Run ids answered with a 2xx (created or replayed). */
  readonly acceptedRuns = new Set<string>();
  /** Batch ids answered with a 2xx by `POST /v1/batches`, with how many requests each holds. */
  readonly acceptedBatches = new Map<string, number>();

  private entry(route: Route): RouteStats {
    let s = this.stats.get(route);
    if (!s) {
      s = { cases: 0, statuses: {}, failures: 0 };
      this.stats.set(route, s);
    }
    return s;
  }

  /** Check one response against the contract; throws (an expect failure) when it breaks it. */
  async check(route: Route, res: Response, opts: { method?: string; runId?: string } = {}): Promise<void> {
    const s = this.entry(route);
    s.cases += 1;
    s.statuses[String(res.status)] = (s.statuses[String(res.status)] ?? 0) + 1;
    try {
      await this.checkContract(route, res, opts);
    } catch (err) {
      s.failures += 1;
      throw err;
    }
  }

  private async checkContract(route: Route, res: Response, opts: { method?: string; runId?: string }): Promise<void> {
    // Decoded by hand: workerd warns when .text() reads a body whose type is not text (JSONL).
    const text = opts.method === "HEAD" ? "" : new TextDecoder().decode(await res.arrayBuffer());
    const where = `${route} → ${res.status}: ${text.slice(0, 400)}`;
    expect(res.status, where).toBeLessThan(500);
    if (res.status >= 400) {
      if (opts.method === "HEAD") return;
      expect(res.headers.get("content-type"), where).toMatch(/^application\/json/);
      const body = JSON.parse(text) as { error?: { type?: unknown; message?: unknown } };
      expect(typeof body.error?.type, where).toBe("string");
      expect(ERROR_TYPES, where).toContain(body.error?.type);
      expect(typeof body.error?.message, where).toBe("string");
      expect((body.error?.message as string).length, where).toBeGreaterThan(0);
      if (res.status === 405) expect(res.headers.get("allow"), where).toBeTruthy();
      if (res.status === 401) expect(res.headers.get("www-authenticate"), where).toBeTruthy();
      if (res.status === 429) expect(res.headers.get("retry-after"), where).toMatch(/^\d+$/);
      return;
    }
    expect(res.status, where).toBeGreaterThanOrEqual(200);
    if (opts.method === "HEAD") return;
    await this.checkSuccess(route, res, text, where, opts);
  }

  private async checkSuccess(
    route: Route,
    res: Response,
    text: string,
    where: string,
    opts: { runId?: string },
  ): Promise<void> {
    const json = (): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;
    switch (route) {
      case "POST /v1/runs":
      case "POST /v1/runs/:id/fork": {
        const body = json();
        expect(body.id, where).toMatch(RUN_ID);
        expect(body.object, where).toBe("run");
        if (res.status === 202) {
          expect(["queued", "running"], where).toContain(body.status);
          expect(res.headers.get("location"), where).toBe(`/v1/runs/${String(body.id)}`);
          expect(typeof body.seed, where).toBe("number");
        } else {
          expect(res.status, where).toBe(200);
          expect(TERMINAL, where).toContain(body.status);
        }
        this.acceptedRuns.add(body.id as string);
        return;
      }
      case "GET /v1/runs/:id":
      case "POST /v1/runs/:id/cancel": {
        const body = json();
        expect(res.status, where).toBe(200);
        expect(body.object, where).toBe("run");
        if (opts.runId) expect(body.id, where).toBe(opts.runId);
        return;
      }
      case "GET /v1/runs/:id/events": {
        expect(res.headers.get("content-type"), where).toMatch(/^text\/event-stream/);
        const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
        expect(ids, where).toEqual([...ids].sort((a, b) => a - b));
        return;
      }
      case "GET /v1/runs": {
        const body = json();
        expect(body.object, where).toBe("list");
        expect(Array.isArray(body.data), where).toBe(true);
        return;
      }
      case "POST /v1/chat/completions": {
        const runId = res.headers.get("x-run-id") ?? "";
        expect(runId, where).toMatch(RUN_ID);
        this.acceptedRuns.add(runId);
        if ((res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
          expect(text.trimEnd().endsWith("data: [DONE]"), where).toBe(true);
        } else {
          const body = json() as { object?: string; choices?: { message?: { content?: unknown } }[]; run_id?: string };
          expect(body.object, where).toBe("chat.completion");
          expect(typeof body.choices?.[0]?.message?.content, where).toBe("string");
          expect(body.run_id, where).toBe(runId);
        }
        return;
      }
      case "GET /v1/models": {
        const body = json();
        expect(["list", "model"], where).toContain(body.object);
        return;
      }
      case "GET /v1/usage": {
        const body = json();
        expect(body.object, where).toBe("usage");
        expect(Array.isArray(body.data), where).toBe(true);
        return;
      }
      case "/admin/keys": {
        const body = json();
        if (res.status === 201) {
          expect(body.key, where).toMatch(/^sk_live_/);
          expect(body.webhook_secret, where).toMatch(/^whsec_/);
        } else {
          expect(["list", "api_key"], where).toContain(body.object);
        }
        return;
      }
      case "POST /v1/batches": {
        const body = json() as { id?: string; object?: string; status?: string; counts?: { total?: number } };
        expect(res.status, where).toBe(202);
        expect(body.id, where).toMatch(BATCH_ID);
        expect(body.object, where).toBe("batch");
        expect(res.headers.get("location"), where).toBe(`/v1/batches/${String(body.id)}`);
        expect(body.counts?.total, where).toBeGreaterThan(0);
        this.acceptedBatches.set(body.id as string, body.counts?.total ?? 0);
        return;
      }
      case "GET /v1/batches/:id":
      case "POST /v1/batches/:id/cancel": {
        const body = json();
        expect(res.status, where).toBe(200);
        expect(body.object, where).toBe("batch");
        return;
      }
      case "GET /v1/batches/:id/results": {
        expect(res.headers.get("content-type"), where).toMatch(/^application\/jsonl/);
        for (const line of text.trim().split("\n")) expect(typeof JSON.parse(line).custom_id, where).toBe("string");
        return;
      }
      case "any method, any path":
        // A known route answered: its own checks live in the other properties.
        return;
    }
  }

  summary(): string {
    const lines = [...this.stats].map(([route, s]) => {
      const statuses = Object.entries(s.statuses)
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([code, n]) => `${code}×${n}`)
        .join(" ");
      return `  ${route.padEnd(28)} cases ${String(s.cases).padStart(5)}  failures ${s.failures}  (${statuses})`;
    });
    const total = [...this.stats.values()].reduce(
      (a, s) => ({ cases: a.cases + s.cases, failures: a.failures + s.failures }),
      { cases: 0, failures: 0 },
    );
    return [`bad input: ${total.cases} cases, ${total.failures} failures`, ...lines].join("\n");
  }
}
