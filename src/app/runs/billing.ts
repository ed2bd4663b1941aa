/**
 * What the platform adds to a run at creation (shared by `POST /v1/runs` and chat completions):
 * the owner key, the model's price snapshot, and the cost cap from the key's remaining budget —
 * or a 402 before anything is created when the budget is spent.
 */
import { liveBudgetState, runCostCap } from "../../platform/budget";
import type { KeyLimiter } from "../../platform/key-limiter";
import { parsePriceTable, priceOf, PriceTableError } from "../../platform/prices";
import { indexRun } from "../../platform/run-index";
import { formatUsd } from "../../shared/money";
import type { CreateRunInput } from "../../runs/contract";
import { platformDb } from "../middleware/auth";
import { ApiError } from "../errors";
import type { Caller } from "../types";

export type RunBilling = Required<Pick<CreateRunInput, "owner">> &
  Pick<CreateRunInput, "price"> & { max_cost_usd?: number; key_budget_usd?: number };

/** The run's owner, price and cost cap; a 402 when the key's budget is exhausted. */
export async function runBilling(
  c: Caller,
  model: string,
  requestedMaxCostUsd?: number,
  options: { free?: boolean } = {},
): Promise<RunBilling> {
  const key = c.key;
  let price;
  try {
    price = priceOf(parsePriceTable(c.env.PRICES), model);
  } catch (err) {
    if (err instanceof PriceTableError)
      throw new ApiError(503, "api_error", `this deployment is not configured: ${err.message}`, {
        code: "deployment_not_configured",
      });
    throw err;
  }
  const limiter = c.env.LIMITER as DurableObjectNamespace<KeyLimiter>; // checked by the auth middleware
  const budget = await liveBudgetState(limiter.get(limiter.idFromName(key.id)), key);
  if (budget && budget.remaining_usd <= 0 && !options.free) {
    const reserved =
      budget.reserved_usd > 0 ? ` (and runs in flight have reserved ${formatUsd(budget.reserved_usd)})` : "";
    throw new ApiError(
      402,
      "budget_error",
      `budget exhausted: key ${key.id} has spent ${formatUsd(budget.spent_usd)}${reserved} of its ${formatUsd(budget.budget_usd)} budget (limit: budget_usd = ${budget.budget_usd}); no run was started`,
      { code: "budget_exhausted" },
    );
  }
  // The key's budget is enforced call by call (reservations in its KeyLimiter); the run's own cap
  // only when the request sets one.
  return {
    owner: key.id,
    price,
    max_cost_usd: runCostCap(null, requestedMaxCostUsd),
    ...(key.budget_usd !== null ? { key_budget_usd: key.budget_usd } : {}),
  };
}

/** The Durable Object name for an Idempotency-Key: scoped to the key, so two keys never collide. */
export const idempotencyName = (keyId: string, idempotencyKey: string): string => `idem:${keyId}:${idempotencyKey}`;

/** Add the run to its key's index (`GET /v1/runs`); idempotent. */
export async function indexOwnedRun(
  c: Caller,
  run: { id: string; model: string; created_at: number; content_hash?: string },
): Promise<void> {
  await indexRun(platformDb(c), {
    run_id: run.id,
    key_id: c.key.id,
    model: run.model,
    created_at: run.created_at,
    ...(run.content_hash ? { content_hash: run.content_hash } : {}),
  });
}
