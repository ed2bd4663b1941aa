/**
 * The stages of one answer, each decoded greedily from its stage prompt after the stages before it:
 * what a greedy run asks the embedded model, without the engine around it. For the parity test,
 * the evaluation and parity tools and the benchmarks, which compare runtimes on exactly this.
 */
import { buildStagePrompt } from "../../reasoning/prompts";
import { STAGES, closeTag, type Stage } from "../../reasoning/stages";
import type { X1Model } from "./model";

/** The stage budget of a greedy run on the embedded model. */
const STAGE_MAX_TOKENS = 110;

export async function greedyStages(
  model: X1Model,
  question: string,
  imageEmbeds: Float32Array | undefined,
  stages: readonly Stage[] = STAGES,
): Promise<Partial<Record<Stage, string>>> {
  const accepted: Partial<Record<Stage, string>> = {};
  for (const stage of stages) {
    const r = await model.decode({
      promptIds: model.tokenizer.encodePrompt(buildStagePrompt(question, accepted, stage)),
      imageEmbeds,
      n: 1,
      seeds: [0],
      temperature: 0,
      topP: 1,
      maxTokens: STAGE_MAX_TOKENS,
      stop: [closeTag(stage)],
    });
    accepted[stage] = (r.candidates[0]?.text ?? "").trim();
  }
  return accepted;
}
