/**
 * The decode benchmark, shared by the workerd runs (x1 engine, onnxruntime-web) and the Node run
 * (onnxruntime-node), so all time exactly the same calls on the same int8 graph: whole answers
 * (stop = none, EOS ignored: exactly 64 tokens per candidate, temperature 0.8) for one committed sample image,
 * after two prompts: the whole-answer prompt (short), and the CONCLUSION stage prompt with the
 * earlier stages the model itself wrote greedily (what stage_beam's last stage decodes after).
 */
import { buildAnswerPrompt, buildStagePrompt } from "../../src/reasoning/prompts";
import { STAGES } from "../../src/reasoning/stages";
import { decodeImage, toModelImage } from "../../src/inference/embedded/image";
import type { X1Model } from "../../src/inference/embedded/model";
import { greedyStages } from "../../src/inference/embedded/greedy";

export interface BenchFigures {
  runtime: string;
  /** One candidate at a time: generated tokens per second (prefill included). */
  single_tokens_per_s: number;
  /** Four candidates in one batch: generated tokens per second (all four). */
  batched4_tokens_per_s: number;
  /** Four single decodes one after the other (seeds as in the batch): tokens per second. */
  four_singles_tokens_per_s: number;
  /** Median over rounds of (batch of 4) / (four singles), each round timed back to back. */
  batched_speedup: number;
  prompt_tokens: number;
  /** The same three figures after the CONCLUSION stage prompt. */
  stage_prompt: {
    prompt_tokens: number;
    single_tokens_per_s: number;
    batched4_tokens_per_s: number;
    four_singles_tokens_per_s: number;
    batched_speedup: number;
  };
  repeats: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

/**
 * 15 rounds, each timing one single decode, one batch of 4 and four singles back to back; the
 * speed-up is the median of each round's own ratio, so a slow spell on this shared machine moves
 * both sides of a ratio together (with 3 rounds and medians taken apart, three quiet runs read
 * 2.14x, 1.91x and 2.91x).
 */
export async function measure(
  model: X1Model,
  runtime: string,
  png: Uint8Array,
  question: string,
  repeats = 15,
): Promise<BenchFigures> {
  const rgb = toModelImage(await decodeImage(png, "image/png"), model.manifest.architecture.image_size);
  const imageEmbeds = await model.encodeImage(rgb);
  const sampled = { imageEmbeds, temperature: 0.8, topP: 0.95, maxTokens: 64, stop: [] as string[], ignoreEos: true };
  const rates = async (promptIds: number[]) => {
    const base = { ...sampled, promptIds };
    const rate = async (calls: { n: number; seeds: number[] }[]): Promise<number> => {
      const started = performance.now();
      let tokens = 0;
      for (const c of calls) {
        const r = await model.decode({ ...base, ...c });
        tokens += r.candidates.reduce((s, x) => s + x.ids.length, 0);
      }
      // workerd's clock only advances across I/O; Date.now and performance.now both do after an await.
      return tokens / ((performance.now() - started) / 1000);
    };
    await rate([{ n: 4, seeds: [1, 2, 3, 4] }]); // warm-up
    const single: number[] = [],
      batched: number[] = [],
      singles: number[] = [];
    for (let r = 0; r < repeats; r++) {
      single.push(await rate([{ n: 1, seeds: [1] }]));
      batched.push(await rate([{ n: 4, seeds: [1, 2, 3, 4] }]));
      singles.push(await rate([1, 2, 3, 4].map((s) => ({ n: 1, seeds: [s] }))));
    }
    const speedup = median(batched.map((b, r) => b / (singles[r] as number)));
    return {
      prompt_tokens: promptIds.length,
      single_tokens_per_s: median(single),
      batched4_tokens_per_s: median(batched),
      four_singles_tokens_per_s: median(singles),
      batched_speedup: speedup,
    };
  };
  const answer = await rates(model.tokenizer.encodePrompt(buildAnswerPrompt(question)));
  const accepted = await greedyStages(model, question, imageEmbeds, STAGES.slice(0, 3));
  const stage = await rates(model.tokenizer.encodePrompt(buildStagePrompt(question, accepted, "CONCLUSION")));
  return { runtime, ...answer, stage_prompt: stage, repeats };
}
