/**
 * What identifies the weights behind a served model, for the result cache (docs/forks-and-cache.md).
 */
import type { Env } from "../env";
import { embeddedFiles, splitId } from "./backend-specs";
import { parseManifest } from "./embedded/manifest";
import { fallbackChains } from "./registry";

/** Embedded models' versions read from their manifests, kept a minute per isolate. */
const versionCache = new Map<string, { version: string; until: number }>();
const VERSION_TTL_MS = 60_000;

/**
 * What identifies the weights behind a served model, for the result cache: an embedded model's
 * manifest version (read from wherever its files live, so new shards in R2 count), else the
 * backend id with its fallback chain; `CACHE_VERSION` (any string) is added to both, so an operator
 * who swaps the checkpoint behind a served name can invalidate the cache.
 */
export async function modelVersion(env: Env, id: string): Promise<string> {
  const suffix = env.CACHE_VERSION ? `#${env.CACHE_VERSION}` : "";
  const chain = fallbackChains(env).get(id) ?? [];
  const { backend, model } = splitId(id);
  if (backend !== "embedded") return [id, ...chain].join("=>") + suffix;
  const source = embeddedFiles(env, model).source;
  if (!source) return id + suffix;
  const key = `${id}@${env.MODEL_SOURCE ?? "assets"}`;
  const cached = versionCache.get(key);
  if (cached && cached.until > Date.now()) return cached.version + suffix;
  const manifest = parseManifest(new TextDecoder().decode(await source("manifest.json")));
  const version = `${id}@${manifest.version}`;
  versionCache.set(key, { version, until: Date.now() + VERSION_TTL_MS });
  return version + suffix;
}
