/**
 * Generation prompts. The fine-tuned model writes the four tagged stages itself and needs no
 * system prompt (docs/search.md): the user turn is the question (with the image), and the
 * assistant turn is prefilled with the accepted stages and the next stage's opening tag.
 */
import { renderStages } from "./parser";
import { closeTag, openTag, type Stage } from "./stages";
import type { Prompt } from "./types";

/** Continue `accepted` with `stage`: assistant_prefix = rendered accepted stages + "\n" + `<STAGE>`. */
export function buildStagePrompt(
  question: string,
  acceptedStages: Partial<Record<Stage, string>>,
  stage: Stage,
  withImage = true,
): Prompt {
  const accepted = renderStages(acceptedStages);
  return {
    user: question,
    assistant_prefix: accepted === "" ? openTag(stage) : `${accepted}\n${openTag(stage)}`,
    with_image: withImage,
  };
}

/** A whole answer in one generation (best_of_n): prefix `<SUMMARY>`, stop at `</CONCLUSION>`. */
export function buildAnswerPrompt(question: string, withImage = true): Prompt {
  return { user: question, assistant_prefix: openTag("SUMMARY"), with_image: withImage };
}

export const ANSWER_STOP = closeTag("CONCLUSION");
