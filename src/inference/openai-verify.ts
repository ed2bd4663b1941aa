/**
 * The stage verifier on an OpenAI-compatible server: the verify prompt (src/reasoning/verify.ts)
 * as a chat completion of one token at temperature 0 with `top_logprobs`, the assistant turn
 * prefilled with `CHECK:`; the score is P(CORRECT) / (P(CORRECT) + P(INCORRECT)) over the
 * alternatives the server lists for that token. A verdict token can come split (" COR" + "RECT"):
 * a token counts for CORRECT when it begins that word and not INCORRECT, and the other way round.
 */
import { verifyPromptFor } from "../reasoning/verify";
import type { VerifyRequest } from "../reasoning/types";
import type { GenerateOptions, ImageInput } from "./backend";

/** How many alternatives to ask for at the verdict token (vLLM allows up to 20 by default). */
export const VERIFY_TOP_LOGPROBS = 20;

/** The generation request whose one token is the verdict. */
export function verifyGeneration(
  request: VerifyRequest,
  image: ImageInput | undefined,
  signal?: AbortSignal,
): GenerateOptions {
  return {
    purpose: "verify",
    prompt: verifyPromptFor(request),
    n: 1,
    seeds: [0],
    stop: [],
    max_tokens: 1,
    temperature: 0,
    top_p: 1,
    logprobs: true,
    ...(image ? { image } : {}),
    ...(signal ? { signal } : {}),
  };
}

interface TopLogprob {
  token?: unknown;
  logprob?: unknown;
}

/** Which verdict a token begins: CORRECT, INCORRECT, or neither. */
function verdictOf(token: string): "yes" | "no" | null {
  const t = token.trim().toUpperCase();
  if (t === "") return null;
  if ("CORRECT".startsWith(t)) return "yes";
  if ("INCORRECT".startsWith(t)) return "no";
  return null;
}

/**
 * P(CORRECT) from a chat completion's body, or null when its first token's alternatives name
 * neither verdict (the model answered something else). Throws on a body without logprobs.
 */
export function verdictScore(body: unknown): number | null {
  const choice = (body as { choices?: { logprobs?: { content?: { top_logprobs?: TopLogprob[] }[] } }[] })?.choices?.[0];
  const top = choice?.logprobs?.content?.[0]?.top_logprobs;
  if (!Array.isArray(top)) throw new Error("no logprobs.content[0].top_logprobs in the response");
  let yes = 0;
  let no = 0;
  for (const alt of top) {
    if (typeof alt.token !== "string" || typeof alt.logprob !== "number") continue;
    const verdict = verdictOf(alt.token);
    if (verdict === "yes") yes += Math.exp(alt.logprob);
    if (verdict === "no") no += Math.exp(alt.logprob);
  }
  return yes + no > 0 ? yes / (yes + no) : null;
}
