/**
 * The stage verifier's prompt (the `verifier` scorer): is this one candidate of a stage correct,
 * given the image, the question and the accepted earlier stages? It is the REASONING self-check
 * generalised to every stage — the same wording for REASONING, so the embedded model's trained
 * self-check carries over — and its reply is read without generating: the assistant turn is
 * prefilled with `CHECK:` and the score is P(" CORRECT") / (P(" CORRECT") + P(" INCORRECT")) at
 * the next token, from one forward pass (docs/search.md, Scorers).
 */
import { renderStages } from "./parser";
import type { Stage } from "./stages";
import type { Prompt, VerifyRequest } from "./types";

/** The assistant turn's prefill; the verdict is the next token. */
export const VERIFY_PREFIX = "CHECK:";
/** The two continuations whose probabilities make the score. */
export const VERIFY_YES = " CORRECT";
export const VERIFY_NO = " INCORRECT";

const NOUN: Record<Stage, string> = {
  SUMMARY: "summary",
  CAPTION: "caption",
  REASONING: "reasoning",
  CONCLUSION: "conclusion",
};
const QUESTION: Record<Stage, string> = {
  SUMMARY: "Does it plan the right steps?",
  CAPTION: "Is every detail right?",
  REASONING: "Is every step correct?",
  CONCLUSION: "Is the answer right?",
};
const LABEL: Record<Stage, string> = {
  SUMMARY: "Summary",
  CAPTION: "Caption",
  REASONING: "Reasoning",
  CONCLUSION: "Conclusion",
};

function contextBlock(context: Partial<Record<Stage, string>>): string {
  const rendered = renderStages(context);
  return rendered === "" ? "" : `\n\nAccepted earlier stages:\n${rendered}`;
}

/**
 * The verifier's prompt for one candidate. Everything before the candidate is the same for every
 * candidate of a stage and prefix, so a backend can read that part once for all of them.
 */
export function buildVerifyPrompt(
  stage: Stage,
  question: string,
  context: Partial<Record<Stage, string>>,
  candidate: string,
  withImage = true,
): Prompt {
  const user =
    `Check the ${NOUN[stage]} below against the image and the accepted stages. ${QUESTION[stage]} ` +
    'Reply with exactly "CHECK: CORRECT" or "CHECK: INCORRECT".\n\n' +
    `Question: ${question}${contextBlock(context)}\n\n${LABEL[stage]}:\n${candidate}`;
  return { user, assistant_prefix: VERIFY_PREFIX, with_image: withImage };
}

/** The verifier's prompt for a verify request; a best_of_n answer is checked as a whole, by the question its CONCLUSION answers. */
export function verifyPromptFor(request: VerifyRequest): Prompt {
  const stage = request.stage === "ANSWER" ? "CONCLUSION" : request.stage;
  return buildVerifyPrompt(stage, request.question, request.context, request.candidate, request.with_image);
}
