/**
 * A run's content hash, for the result cache: what decides its answer — the image bytes, the
 * question, the model and the version of its weights, the search and the sampling. The seed is
 * part of it except for greedy runs, whose answer does not depend on it.
 */
import type { Env } from "../../env";
import type { ImageInput } from "../../inference/backend";
import { modelVersion } from "../../inference/model-version";
import type { RunSpec } from "../../reasoning/types";
import { bodyHash } from "../http/idempotency";

async function bytesSha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The hash, or undefined when the model's version cannot be read now (its manifest is missing):
 * such a run is simply never a cache entry, and creating it does not fail for that.
 */
export async function runContentHash(
  env: Env,
  run: { model: string; spec: RunSpec; image: ImageInput | undefined },
): Promise<string | undefined> {
  let version: string;
  try {
    version = await modelVersion(env, run.model);
  } catch (err) {
    console.warn(`result cache: no version for ${run.model}: ${String(err)}`);
    return undefined;
  }
  const { question, search, sampling } = run.spec;
  return bodyHash({
    v: 1,
    model: run.model,
    version,
    image: run.image ? { sha256: await bytesSha256(run.image.bytes), media_type: run.image.media_type } : null,
    question,
    search,
    sampling: search.strategy === "greedy" ? { ...sampling, seed: undefined } : sampling,
  });
}
