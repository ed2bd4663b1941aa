/**
 * The embedded model in the Worker: files from the static-assets binding (model-shards/ is served
 * under /model-shards/), verified, and one session per isolate (a failed load is retried on the
 * next call rather than cached).
 */
import { EmbeddedBackend } from "./backend";
import { fetcherSource, loadModelFiles, type FileSource } from "./loader";
import { X1Model } from "./model";
import { workerdRuntime } from "./ort-workerd";

export const EMBEDDED_MODELS: Record<string, string> = { "x1-shapes-tiny": "/model-shards" };
export const ASSETS_ORIGIN = "https://assets.local";

const models = new Map<string, Promise<X1Model>>();

/** The model for `source`, built once per isolate per key. */
export function loadEmbeddedModel(key: string, source: FileSource): Promise<X1Model> {
  let pending = models.get(key);
  if (!pending) {
    pending = loadModelFiles(source).then((files) => X1Model.create(files, workerdRuntime()));
    pending.catch(() => models.delete(key));
    models.set(key, pending);
  }
  return pending;
}

export function embeddedBackend(id: string, model: string, assets: Fetcher): EmbeddedBackend {
  const base = EMBEDDED_MODELS[model] as string;
  return new EmbeddedBackend({
    id,
    model: () => loadEmbeddedModel(id, fetcherSource(assets, `${ASSETS_ORIGIN}${base}`)),
  });
}

export { EmbeddedBackend, EMBEDDED_CAPABILITIES } from "./backend";
export { ModelIntegrityError } from "./loader";
