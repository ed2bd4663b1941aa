/**
 * Money and tokens before a call is sent (docs/keys-and-billing.md, "Budgets"): every call of a
 * wave is reserved at its worst case (against the run's token limit and cost cap here, and against
 * the key's budget in its KeyLimiter) and settled at its real cost when it returns. A call that
 * does not fit is not sent: the run ends `budget_exceeded` or `token_limit_exceeded`, trace kept.
 */
import type { ModelRequest, StepOutput, StepSpec } from "../reasoning/types";
import { formatUsd } from "../shared/money";
import { costOf, fitCall, type Fit } from "./allowance";
import type { RunError } from "./contract";
import type { CommittedStep, RunRow } from "./run-store";
import { knownCostUsd, knownTokens } from "./usage";

/** The owner key's spend counter (its KeyLimiter). */
export interface SpendCounter {
  reserve(id: string, usd: number, budgetUsd: number): Promise<{ ok: boolean; available_usd: number }>;
  settle(id: string, usd: number): Promise<void>;
}

/** One call's reservation: its id in the key's counter, its worst-case cost, the max_tokens it fits with. */
export interface Reserved {
  id: string;
  usd: number;
  key: boolean;
  max_tokens: number;
}

function limitError(
  run: RunRow,
  step: string,
  fit: Extract<Fit, { ok: false }>,
  committedTokens: number,
  committedUsd: number,
): RunError {
  if (fit.limit === "tokens") {
    return {
      type: "run_error",
      code: "token_limit_exceeded",
      message: `the next call (${step}) could need ${fit.needed_tokens} tokens, more than the ${(run.limits.max_total_tokens ?? 0) - committedTokens} left of max_total_tokens=${run.limits.max_total_tokens} (used: ${committedTokens}); it was not sent, and the trace so far is kept`,
    };
  }
  return {
    type: "run_error",
    code: "budget_exceeded",
    message: `the next call (${step}) could cost ${formatUsd(fit.needed_usd)}, more than the budget has left (this run has spent ${formatUsd(committedUsd)}); it was not sent, and the trace so far is kept`,
  };
}

/** The run has already spent its token limit or cost cap: the error that ends it, else null. */
export function limitReached(run: RunRow, committed: Iterable<CommittedStep>): RunError | null {
  const steps = [...committed];
  const maxTokens = run.limits.max_total_tokens;
  if (maxTokens !== undefined) {
    const spent = knownTokens(steps);
    if (spent >= maxTokens) {
      return {
        type: "run_error",
        code: "token_limit_exceeded",
        message: `the run used ${spent} tokens, reaching its limit of max_total_tokens=${maxTokens}; the trace so far is kept`,
      };
    }
  }
  const maxCost = run.limits.max_cost_usd;
  if (maxCost !== undefined && run.price) {
    const spent = knownCostUsd(steps, run.price);
    if (spent >= maxCost) {
      return {
        type: "run_error",
        code: "budget_exceeded",
        message: `the run cost $${spent.toFixed(6)}, reaching the key's remaining budget of $${maxCost.toFixed(6)}; the trace so far is kept`,
      };
    }
  }
  return null;
}

/** The reservations of one run's calls, in the key's counter when the run has a key budget. */
export class Reservations {
  constructor(private readonly spend: SpendCounter | undefined) {}

  /**
   * Reserve every call of the wave before any is sent (allowance.ts): against the run's token
   * limit and own cost cap here, and against the key's budget in its KeyLimiter. A call that does
   * not fit even a few tokens ends the run with `budget_exceeded` (or `token_limit_exceeded`).
   */
  async reserveWave(
    run: RunRow,
    committed: Iterable<CommittedStep>,
    plans: { steps: StepSpec[]; request: ModelRequest; inputTokens: number }[],
  ): Promise<{ fatal: RunError | null; reserved: Reserved[] }> {
    const steps = [...committed];
    const committedTokens = knownTokens(steps);
    const committedUsd = run.price ? knownCostUsd(steps, run.price) : 0;
    let tokens = run.limits.max_total_tokens !== undefined ? run.limits.max_total_tokens - committedTokens : undefined;
    let usd = run.limits.max_cost_usd !== undefined && run.price ? run.limits.max_cost_usd - committedUsd : undefined;
    const reserved: Reserved[] = [];
    const spend = this.spend;
    for (const p of plans) {
      let fit = fitCall(p.request, p.inputTokens, { tokens, usd }, run.price);
      const id = `${run.id}:${p.steps.map((s) => s.id).join(",")}`;
      if (fit.ok && spend && run.price && run.limits.key_budget_usd !== undefined) {
        let r = await spend.reserve(id, fit.usd, run.limits.key_budget_usd);
        if (!r.ok) {
          fit = fitCall(
            p.request,
            p.inputTokens,
            { tokens, usd: Math.min(usd ?? Infinity, r.available_usd) },
            run.price,
          );
          if (fit.ok) r = await spend.reserve(id, fit.usd, run.limits.key_budget_usd);
          if (fit.ok && !r.ok) fit = { ok: false, limit: "usd", needed_tokens: fit.tokens, needed_usd: fit.usd };
        }
        if (fit.ok) reserved.push({ id, usd: fit.usd, key: true, max_tokens: fit.max_tokens });
      } else if (fit.ok) reserved.push({ id, usd: fit.usd, key: false, max_tokens: fit.max_tokens });
      if (!fit.ok) {
        await this.release(reserved);
        return { fatal: limitError(run, p.steps[0]?.id ?? "", fit, committedTokens, committedUsd), reserved: [] };
      }
      if (tokens !== undefined) tokens -= fit.tokens;
      if (usd !== undefined) usd -= fit.usd;
    }
    return { fatal: null, reserved };
  }

  async release(reserved: Reserved[]): Promise<void> {
    const spend = this.spend;
    if (!spend) return;
    await Promise.all(reserved.filter((r) => r.key).map((r) => spend.settle(r.id, 0)));
  }

  /** A call's actual cost replaces its key reservation: 0 for a failed call, the reservation when usage is unknown. */
  async settle(reservation: Reserved | undefined, outputs: StepOutput[] | null, run: RunRow): Promise<void> {
    const spend = this.spend;
    if (!spend || !reservation?.key) return;
    let usd = 0;
    if (outputs && run.price) {
      const known = outputs.every((o) => o.usage.input_tokens !== undefined && o.usage.output_tokens !== undefined);
      usd = known
        ? costOf(
            outputs.reduce((a, o) => a + (o.usage.input_tokens ?? 0), 0),
            outputs.reduce((a, o) => a + (o.usage.output_tokens ?? 0), 0),
            run.price,
          )
        : reservation.usd;
    }
    try {
      await spend.settle(reservation.id, usd);
    } catch {
      // The reservation lapses on its own (RESERVATION_TTL_MS); the ledger still records the run's cost.
    }
  }
}
