/**
 * The judge's reply as training text. Two formats:
 *
 * - `plain` (runs 1-7): the judge writes its own version of the stage ("Check: …"), then one word
 *   per response ("correct" or what is wrong), then the verdict. Measured on run 7: the judge
 *   wrote the right reference 91-99% of the time for REASONING, CONCLUSION and whole answers, yet
 *   chose at chance (48-54%) for REASONING and whole answers. A 4-layer decoder never learned to
 *   compare a 30-token response, far back in the prompt, with its reference from a one-bit target.
 * - `copy` (from run 8): after its reference the judge copies each response, piece by piece, for
 *   as long as it agrees with the reference, and stops at the first piece that disagrees, naming
 *   what the reference says there ("… middle right 3 -> not 2: makes a mistake."). Each step is
 *   local: copy the next piece of the response (an induction pattern small decoders learn
 *   quickly) and notice when it differs from the reference's piece after the same prefix. A
 *   response that agrees to the end gets "-> correct.".
 *
 * SUMMARY has no reference (many plans are fine), so its reply stays one word per response.
 */
import { referenceForm } from "../../src/reasoning/judge";
import type { JudgedStage } from "./corrupt";

export type JudgeFormat = "plain" | "copy";
export const JUDGE_FORMATS: JudgeFormat[] = ["plain", "copy"];

export interface JudgeReplyInput {
  stage: JudgedStage;
  first: string;
  second: string;
  better: 1 | 2;
  why: string;
  reference?: string;
}

/** The tokenizer's pre-split (tools/x1-shapes/tokenizer.ts): tags, words and numbers with their leading space, punctuation runs. */
const PIECE = /<\/?[A-Z]+>| ?[A-Za-z]+| ?\d+| ?[^\sA-Za-z\d<]+|\n+| +/g;
export const pieces = (text: string): string[] => text.match(PIECE) ?? [];

/**
 * The response copied piece by piece while it agrees with the reference: the whole response and
 * "-> correct" when they are the same, else up to and including the first piece that differs and
 * "-> not <the reference's piece there>" ("the end" when the reference has no more pieces).
 */
export function copyAgainst(reference: string, response: string): { text: string; agrees: boolean } {
  const want = pieces(reference);
  const got = pieces(response);
  let k = 0;
  while (k < want.length && k < got.length && want[k] === got[k]) k++;
  if (k === want.length && k === got.length) return { text: `${response} -> correct`, agrees: true };
  const copied = got.slice(0, k + 1).join("");
  const expected = k < want.length ? (want[k] as string).trim() || "a space" : "the end";
  return { text: `${copied} -> not ${expected}`, agrees: false };
}

/**
 * The judge's reply, response by response, then the verdict. `parseVerdict` (src/reasoning/judge.ts)
 * reads the last `VERDICT: n`; nothing before it matches a verdict pattern.
 */
export function judgeReply(j: JudgeReplyInput, format: JudgeFormat = "copy"): string {
  const lines: string[] = [];
  if (j.reference !== undefined) lines.push(`Check: ${j.reference}`);
  for (const r of [1, 2] as const) {
    const right = r === j.better;
    if (j.reference === undefined) lines.push(`Response ${r}: ${right ? "a plan" : j.why}.`);
    else if (format === "plain") lines.push(`Response ${r}: ${right ? "correct" : j.why}.`);
    else {
      const copy = copyAgainst(j.reference, referenceForm(j.stage, r === 1 ? j.first : j.second));
      lines.push(`Response ${r}: ${copy.text}${copy.agrees ? "" : `: ${j.why}`}.`);
    }
  }
  lines.push(`VERDICT: ${j.better}`);
  return lines.join("\n");
}
