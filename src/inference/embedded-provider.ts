/**
 * The embedded backend, as a build provides it. The full Worker (src/index.ts) registers it; the
 * GPU-only build (src/index-gpu.ts) does not, so the embedded model's engine (its graph
 * interpreter and wasm kernels) stays out of that bundle, and an `embedded:*` model there is
 * listed as unavailable with the reason.
 */
import type { Backend } from "./backend";
import type { FileSource } from "./embedded/loader";

export interface EmbeddedProvider {
  /** A backend for model `id`, reading its files from `source`; `key` names the loaded model (one per isolate). */
  backend(id: string, key: string, source: FileSource): Backend;
}

let provided: EmbeddedProvider | undefined;

/** Called once, by the build's entry module, before any request. */
export function provideEmbedded(provider: EmbeddedProvider): void {
  provided = provider;
}

export function embeddedProvider(): EmbeddedProvider | undefined {
  return provided;
}
