/**
 * What the registry needs to know of the embedded models without loading their engine: their
 * names, where their files live and what the backend can do. The GPU-only build imports this and
 * nothing else of the embedded backend.
 */
import type { BackendCapabilities } from "../backend";

/** Embedded models and the directory of their files: under the static assets, or a key prefix in R2. */
export const EMBEDDED_MODELS: Record<string, { assets: string; r2: string }> = {
  "x1-shapes-tiny": { assets: "/model-shards", r2: "x1-shapes-tiny/" },
};

/** The static-assets binding is addressed by URL; its host is never looked up. */
export const ASSETS_ORIGIN = "https://assets.local";

export const EMBEDDED_CAPABILITIES: BackendCapabilities = {
  n: true,
  stop: true,
  logprobs: true,
  prefill: true,
  vision: true,
  max_n: 16,
};
