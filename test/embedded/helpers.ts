import { env } from "cloudflare:test";
import vectors from "./fixtures/preprocess-vectors.json";
import { fetcherSource, type FileSource } from "../../src/inference/embedded/loader";
import { ASSETS_ORIGIN, loadEmbeddedModel } from "../../src/inference/embedded";
import type { X1Model } from "../../src/inference/embedded/model";

export interface SampleVector {
  image: string;
  family: string;
  question: string;
  answer: string;
  shape: number[];
  sha256: string;
  first_pixels: number[];
  sum: number;
  png_base64: string;
}

export const SAMPLES = vectors.vectors as SampleVector[];

export function sample(family: string): SampleVector & { png: Uint8Array } {
  const s = SAMPLES.find((v) => v.family === family);
  if (!s) throw new Error(`no committed sample for ${family}`);
  return { ...s, png: Uint8Array.from(atob(s.png_base64), (c) => c.charCodeAt(0)) };
}

/** model-shards/ as the Worker sees it: through the static-assets binding. */
export function assetsSource(): FileSource {
  if (!env.ASSETS) throw new Error("the ASSETS binding is missing");
  return fetcherSource(env.ASSETS, `${ASSETS_ORIGIN}/model-shards`);
}

/** The isolate's model (the same cache the backend uses). */
export function sharedModel(): Promise<X1Model> {
  return loadEmbeddedModel("embedded:x1-shapes-tiny", assetsSource());
}
