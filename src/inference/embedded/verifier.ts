/**
 * The stage verifier on the embedded model: for each candidate, the verify prompt
 * (src/reasoning/verify.ts) with the assistant turn prefilled `CHECK:`, one forward pass, and the
 * score P(" CORRECT") / (P(" CORRECT") + P(" INCORRECT")) at the next token; nothing is generated.
 *
 * It is not a capability of the served embedded backend, so the API still refuses the `verifier`
 * scorer for the embedded model: the shipped model was never trained on the verify prompt, and on
 * held-out mined samples its score separates right from wrong ones worse than chance on three
 * stages (docs/embedded-model.md). `npm run eval`'s `beam4v` and `bon4v` use it to measure the
 * scorer inside the search.
 */
import { buildVerifyPrompt, VERIFY_NO, VERIFY_YES } from "../../reasoning/verify";
import { BackendError, type Backend, type VerifyOptions, type VerifyResult } from "../backend";
import { decodeImage, toModelImage } from "./image";
import type { X1Model } from "./model";

/** `backend` (which generates) with `verify` on the same model. */
export function withModelVerifier(backend: Backend, model: X1Model): Backend {
  const verdicts = [VERIFY_YES, VERIFY_NO].map((text) => model.tokenizer.encode(text));
  if (verdicts.some((ids) => ids.length !== 1))
    throw new Error(`${model.manifest.model}: the verdicts "${VERIFY_YES}" and "${VERIFY_NO}" must be single tokens`);
  const [yes, no] = verdicts.map((ids) => ids[0] as number) as [number, number];

  async function verify(options: VerifyOptions): Promise<VerifyResult> {
    let imageEmbeds: Float32Array | undefined;
    if (options.image && options.requests.some((r) => r.with_image)) {
      const size = model.manifest.architecture.image_size;
      let rgb: Uint8Array;
      try {
        rgb = toModelImage(await decodeImage(options.image.bytes, options.image.media_type), size);
      } catch (err) {
        throw new BackendError(`${backend.id}: ${err instanceof Error ? err.message : String(err)}`, false, 400);
      }
      imageEmbeds = await model.encodeImage(rgb);
    }
    const scores: (number | null)[] = [];
    let inputTokens = 0;
    for (const request of options.requests) {
      if (options.signal?.aborted)
        throw options.signal.reason instanceof Error ? options.signal.reason : new Error("aborted");
      // A best_of_n answer is checked as a whole, by the question its CONCLUSION answers.
      const stage = request.stage === "ANSWER" ? "CONCLUSION" : request.stage;
      const prompt = buildVerifyPrompt(stage, request.question, request.context, request.candidate, request.with_image);
      const ids = model.tokenizer.encodePrompt(prompt);
      inputTokens += ids.length;
      try {
        const [lpYes, lpNo] = (await model.nextLogprobs(ids, request.with_image ? imageEmbeds : undefined, [
          yes,
          no,
        ])) as [number, number];
        // P(yes) / (P(yes) + P(no)), computed stably from the two log-probabilities.
        scores.push(1 / (1 + Math.exp(lpNo - lpYes)));
      } catch (err) {
        if (err instanceof RangeError)
          scores.push(null); // the prompt does not fit the context
        else throw err;
      }
    }
    return { scores, usage: { input_tokens: inputTokens, output_tokens: 0 }, warnings: [] };
  }

  return {
    id: backend.id,
    capabilities: { ...backend.capabilities, verify: true },
    generate: (options) => backend.generate(options),
    verify,
  };
}
