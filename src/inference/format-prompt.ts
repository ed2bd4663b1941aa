/**
 * An instruction that makes a general instruction-tuned model write the four tagged stages. The
 * fine-tuned model writes them unprompted and gets none; for a base model (e.g. Workers AI's
 * Llama 3.2 Vision) it is added to generation calls only — judge and self-check prompts carry
 * their own instructions.
 */
import type { Prompt } from "../reasoning/types";

export const FOUR_STAGE_INSTRUCTION = [
  "Answer in exactly four tagged stages, in this order, and write nothing outside them:",
  "<SUMMARY>the approach you will take to answer the question, without solving it yet</SUMMARY>",
  "<CAPTION>what the image shows that matters for the question</CAPTION>",
  "<REASONING>step-by-step reasoning from the caption to the answer</REASONING>",
  "<CONCLUSION>the final answer, stated directly and briefly</CONCLUSION>",
  "Close every tag you open.",
].join("\n");

/** The prompt's instructions, with the four-stage instruction first when `enabled` and the call generates stages. */
export function withFormatInstruction(prompt: Prompt, purpose: string, enabled: boolean): string | undefined {
  const parts = [enabled && purpose === "generate" ? FOUR_STAGE_INSTRUCTION : undefined, prompt.system].filter(
    (s): s is string => !!s,
  );
  return parts.length > 0 ? parts.join("\n\n") : undefined;
}
