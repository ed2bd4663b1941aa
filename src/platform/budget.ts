/**
 * Per-key budgets: remaining = budget_usd − what the key's finished runs cost (the ledger).
 * Checked before a run starts; the remainder becomes the run's `limits.max_cost_usd`, which the
 * run's Durable Object enforces while it runs.
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

/** The run's cost cap: the key's remainder, or the request's own cap when that is smaller. */
export function runCostCap(budget: BudgetState | null, requested?: number): number | undefined {
  const caps = [budget?.remaining_usd, requested].filter((v): v is number => v !== undefined);
  return caps.length === 0 ? undefined : Math.min(...caps);
}
