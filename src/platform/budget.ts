/**
 * Per-key budgets. What a key has spent is counted call by call in its `KeyLimiter` object
 * (settled costs plus reservations of calls in flight, docs/keys-and-billing.md): checked before a
 * run starts (402 when nothing is left) and reserved against before every call, so concurrent runs
 * cannot overshoot. `budgetState` reads the ledger (finished runs) for the usage report.
 */
import type { ApiKey } from "./keys";
import { spentUsd } from "./ledger";

export interface BudgetState {
  budget_usd: number;
  spent_usd: number;
  remaining_usd: number;
}

/** The key's budget state, or null for a key without a budget (unlimited). */
export async function budgetState(db: D1Database, key: Pick<ApiKey, "id" | "budget_usd">): Promise<BudgetState | null> {
  if (key.budget_usd === null) return null;
  const spent_usd = await spentUsd(db, key.id);
  return { budget_usd: key.budget_usd, spent_usd, remaining_usd: key.budget_usd - spent_usd };
}

/** The key's live budget: settled spend and reservations from its KeyLimiter; null without a budget. */
export interface LiveBudget extends BudgetState {
  reserved_usd: number;
}

export async function liveBudgetState(
  limiter: { spend(keyId: string): Promise<{ spent_usd: number; reserved_usd: number }> },
  key: Pick<ApiKey, "id" | "budget_usd">,
): Promise<LiveBudget | null> {
  if (key.budget_usd === null) return null;
  const { spent_usd, reserved_usd } = await limiter.spend(key.id);
  return {
    budget_usd: key.budget_usd,
    spent_usd,
    reserved_usd,
    remaining_usd: key.budget_usd - spent_usd - reserved_usd,
  };
}

/** The run's cost cap: the key's remainder, or the request's own cap when that is smaller. */
export function runCostCap(budget: BudgetState | null, requested?: number): number | undefined {
  const caps = [budget?.remaining_usd, requested].filter((v): v is number => v !== undefined);
  return caps.length === 0 ? undefined : Math.min(...caps);
}
