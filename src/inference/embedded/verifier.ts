/**
 * The stage verifier on the embedded model: for each candidate, the verify prompt
 * (src/reasoning/verify.ts) with the assistant turn prefilled `CHECK:`, one forward pass, and the
 * score P(" CORRECT") / (P(" CORRECT") + P(" INCORRECT")) at the next token; nothing is generated.
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
    const scores: (number | null)[] = [];
    let inputTokens = 0;
    for (const request of options.requests) {
      if (options.signal?.aborted)
        throw options.signal.reason instanceof Error ? options.signal.reason : new Error("aborted");
      const ids = model.tokenizer.encodePrompt(verifyPromptFor(request));
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
