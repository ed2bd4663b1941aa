/**
 * Token estimates for backends that report no usage (Workers AI's Llama 3.2 Vision). The
 * heuristic is the common one for Llama-family BPE tokenizers on English text: about four
 * characters per token, rounded up. Results that use it are marked `estimated: true`.
 * The image is not counted: Mllama reads it through cross-attention, so it adds one `<|image|>`
 * token to the text sequence, which the rendered prompt already contains.
 */
import type { Usage } from "../reasoning/types";

export const CHARS_PER_TOKEN = 4;

export function estimateTokens(text: string): number {
  // Count code points, not UTF-16 units, so non-Latin text is not overcounted twice.
  let chars = 0;
  for (const _ of text) chars += 1;
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

/** Sum of usages; a figure is known only when every part knows it; estimated when any part is. */
export function sumUsage(parts: readonly Usage[]): Usage {
  const total: Usage = {};
  const sum = (key: "input_tokens" | "output_tokens"): number | undefined =>
    parts.every((p) => p[key] !== undefined) ? parts.reduce((s, p) => s + (p[key] ?? 0), 0) : undefined;
  if (parts.length === 0) return total;
  const input = sum("input_tokens");
  const output = sum("output_tokens");
  if (input !== undefined) total.input_tokens = input;
  if (output !== undefined) total.output_tokens = output;
  if (parts.some((p) => p.estimated)) total.estimated = true;
  return total;
}
