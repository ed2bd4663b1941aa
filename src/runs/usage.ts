/**
 * Roll a run's usage up from its committed steps. Generation tokens and judging tokens (judge
 * matches, self-checks and the verifier's scoring) are kept apart, since callers pay for both and
 * want to see each.
 * A figure stays undefined when any call did not report it: an unknown is never shown as 0.
 */
import type { Price, RunUsageView } from "./contract";
import type { CommittedStep } from "./run-store";

function add(a: number | undefined, b: number | undefined, known: boolean): number | undefined {
  return known && a !== undefined && b !== undefined ? a + b : undefined;
}

export function rollUpUsage(steps: Iterable<CommittedStep>): RunUsageView {
  let input: number | undefined = 0,
    output: number | undefined = 0;
  let judgeIn: number | undefined = 0,
    judgeOut: number | undefined = 0;
  let calls = 0,
    ms = 0,
    estimated = false;
  for (const { kind, output: out } of steps) {
    if (out.backend === "local") continue;
    calls += 1;
    ms += out.latency_ms;
    estimated ||= out.usage.estimated === true;
    const judging = kind === "match" || kind === "check" || kind === "verify";
    if (judging) {
      judgeIn = add(judgeIn, out.usage.input_tokens, true);
      judgeOut = add(judgeOut, out.usage.output_tokens, true);
    } else {
      input = add(input, out.usage.input_tokens, true);
      output = add(output, out.usage.output_tokens, true);
    }
  }
  const parts = [input, output, judgeIn, judgeOut];
  const total = parts.every((p) => p !== undefined) ? parts.reduce<number>((s, p) => s + (p ?? 0), 0) : undefined;
  return {
    input_tokens: input,
    output_tokens: output,
    judge_input_tokens: judgeIn,
    judge_output_tokens: judgeOut,
    total_tokens: total,
    model_steps: calls,
    backend_ms: ms,
    estimated,
  };
}

/** Tokens known to be spent so far (unknown figures count 0): what a token budget is checked against. */
export function knownTokens(steps: Iterable<CommittedStep>): number {
  let sum = 0;
  for (const { output } of steps) sum += (output.usage.input_tokens ?? 0) + (output.usage.output_tokens ?? 0);
  return sum;
}

/**
 * Cost in USD from a price snapshot. Judge tokens are billed at the same rates as generation
 * tokens (they are the same model's tokens). Undefined when a token figure is unknown.
 */
export function costUsd(usage: RunUsageView, price: Price | null): number | undefined {
  if (!price) return undefined;
  const { input_tokens: i, output_tokens: o, judge_input_tokens: ji, judge_output_tokens: jo } = usage;
  if (i === undefined || o === undefined || ji === undefined || jo === undefined) return undefined;
  return ((i + ji) * price.input_per_mtok_usd + (o + jo) * price.output_per_mtok_usd) / 1_000_000;
}

/** Cost of what is known to be spent (unknown figures count 0): what a cost budget is checked against. */
export function knownCostUsd(steps: Iterable<CommittedStep>, price: Price): number {
  let input = 0,
    output = 0;
  for (const { output: out } of steps) {
    input += out.usage.input_tokens ?? 0;
    output += out.usage.output_tokens ?? 0;
  }
  return (input * price.input_per_mtok_usd + output * price.output_per_mtok_usd) / 1_000_000;
}

/**
 * Several usages as one (a fork's reused stages). A token figure stays unknown if any part does
 * not know it; so does the cost.
 */
export function sumUsage(parts: RunUsageView[]): RunUsageView {
  const sum = (pick: (u: RunUsageView) => number | undefined): number | undefined =>
    parts.reduce<number | undefined>((s, u) => add(s, pick(u), true), 0);
  const cost = sum((u) => u.cost_usd);
  return {
    input_tokens: sum((u) => u.input_tokens),
    output_tokens: sum((u) => u.output_tokens),
    judge_input_tokens: sum((u) => u.judge_input_tokens),
    judge_output_tokens: sum((u) => u.judge_output_tokens),
    total_tokens: sum((u) => u.total_tokens),
    model_steps: parts.reduce((s, u) => s + u.model_steps, 0),
    backend_ms: parts.reduce((s, u) => s + u.backend_ms, 0),
    estimated: parts.some((u) => u.estimated),
    ...(cost === undefined ? {} : { cost_usd: cost }),
  };
}
