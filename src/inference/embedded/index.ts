/**
 * The embedded model in the Worker: files from the static-assets binding or an R2 bucket, verified,
 * and one session per isolate (a failed load is retried on the next call rather than cached).
 * Importing `./register` makes it available to the registry.
 */
import { EmbeddedBackend } from "./backend";
import { loadModelFiles, type FileSource } from "./loader";
import { X1Model } from "./model";
import { workerdX1Runtime } from "./x1/workerd";

const models = new Map<string, Promise<X1Model>>();

/** The model for `source`, built once per isolate per key. */
export function loadEmbeddedModel(key: string, source: FileSource): Promise<X1Model> {
  let pending = models.get(key);
  if (!pending) {
    pending = loadModelFiles(source).then((files) =>
      X1Model.create(files, workerdX1Runtime(files.manifest.architecture)),
    );
    pending.catch(() => models.delete(key));
    models.set(key, pending);
  }
  return pending;
}

export function embeddedBackend(id: string, key: string, source: FileSource): EmbeddedBackend {
  return new EmbeddedBackend({ id, model: () => loadEmbeddedModel(key, source) });
}

export { EmbeddedBackend } from "./backend";
export { ASSETS_ORIGIN, EMBEDDED_CAPABILITIES } from "./catalog";
export { ModelIntegrityError } from "./loader";
