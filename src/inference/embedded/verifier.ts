/**
 * The stage verifier on the embedded model: for each candidate, the verify prompt
 * (src/reasoning/verify.ts) with the assistant turn prefilled `CHECK:`, and the score
 * P(" CORRECT") / (P(" CORRECT") + P(" INCORRECT")) at the next token; nothing is generated. A
 * call's candidates are read in one batch: what their prompts share (the image, the question, the
 * accepted stages) once, then each candidate's own tokens (X1Model.nextLogprobsShared).
 *
 * It is not a capability of the served embedded backend, so the API still refuses the `verifier`
 * scorer for the embedded model: the shipped model was never trained on the verify prompt, and on
 * held-out mined samples its score separates right from wrong ones worse than chance on two of
 * three stages (docs/embedded-model.md). `npm run eval`'s `beam4v` and `bon4v` use it to measure the
 * scorer inside the search.
 */
import { VERIFY_NO, VERIFY_YES, verifyPromptFor } from "../../reasoning/verify";
import type { Backend, VerifyOptions, VerifyResult } from "../backend";
import { embedImage } from "./backend";
import type { X1Model } from "./model";

/** `backend` (which generates) with `verify` on the same model. */
export function withModelVerifier(backend: Backend, model: X1Model): Backend {
  const verdicts = [VERIFY_YES, VERIFY_NO].map((text) => model.tokenizer.encode(text));
  if (verdicts.some((ids) => ids.length !== 1))
    throw new Error(`${model.manifest.model}: the verdicts "${VERIFY_YES}" and "${VERIFY_NO}" must be single tokens`);
  const [yes, no] = verdicts.map((ids) => ids[0] as number) as [number, number];

  async function verify(options: VerifyOptions): Promise<VerifyResult> {
    const imageEmbeds =
      options.image && options.requests.some((r) => r.with_image)
        ? await embedImage(model, options.image, backend.id)
        : undefined;
    const scores: (number | null)[] = options.requests.map(() => null);
    let inputTokens = 0;
    // One batched call per kind of prompt (with or without the image): a stage's candidates share
    // everything before the candidate, which the model reads once (X1Model.nextLogprobsShared).
    for (const withImage of [true, false]) {
      const group = options.requests.flatMap((r, i) => (Boolean(r.with_image) === withImage ? [i] : []));
      if (group.length === 0) continue;
      if (options.signal?.aborted)
        throw options.signal.reason instanceof Error ? options.signal.reason : new Error("aborted");
      const prompts = group.map((i) => model.tokenizer.encodePrompt(verifyPromptFor(options.requests[i]!)));
      for (const ids of prompts) inputTokens += ids.length;
      const lps = await model.nextLogprobsShared(prompts, withImage ? imageEmbeds : undefined, [yes, no]);
      group.forEach((i, k) => {
        const lp = lps[k];
        // P(yes) / (P(yes) + P(no)), computed stably from the two log-probabilities; null: the
        // prompt does not fit the context.
        scores[i] = lp ? 1 / (1 + Math.exp((lp[1] as number) - (lp[0] as number))) : null;
      });
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
