/**
 * Loads a model from its manifest: the graphs, the tokenizer and every weight shard, each checked
 * against the manifest's byte size and SHA-256 before anything is built from it. Where the bytes
 * come from is injected (the Worker's static-assets binding, the file system in Node tools, a
 * tampering loader in tests).
 */
import { parseManifest, type FileEntry, type ModelManifest } from "./manifest";

/** Fetches one file of the model directory by name (e.g. `weights-00.bin`). */
export type FileSource = (name: string) => Promise<Uint8Array>;

export class ModelIntegrityError extends Error {
  override readonly name = "ModelIntegrityError";
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
  }
}

export interface LoadedModelFiles {
  manifest: ModelManifest;
  files: Map<string, Uint8Array>;
  /** Milliseconds spent fetching and hashing. */
  load_ms: number;
}

const hex = (buf: ArrayBuffer): string =>
  Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", bytes));
}

async function verified(source: FileSource, entry: FileEntry, what: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await source(entry.file);
  } catch (err) {
    throw new ModelIntegrityError(
      `${what} ${entry.file} could not be read: ${err instanceof Error ? err.message : String(err)}`,
      entry.file,
    );
  }
  if (bytes.byteLength !== entry.bytes) {
    throw new ModelIntegrityError(
      `${what} ${entry.file} has ${bytes.byteLength} bytes, the manifest says ${entry.bytes}`,
      entry.file,
    );
  }
  const digest = await sha256Hex(bytes);
  if (digest !== entry.sha256) {
    throw new ModelIntegrityError(
      `${what} ${entry.file} failed its SHA-256 check (expected ${entry.sha256}, got ${digest})`,
      entry.file,
    );
  }
  return bytes;
}

export async function loadModelFiles(source: FileSource): Promise<LoadedModelFiles> {
  const started = Date.now();
  const manifest = parseManifest(new TextDecoder().decode(await source("manifest.json")));
  const entries: [FileEntry, string][] = [
    [manifest.tokenizer, "tokenizer"],
    [manifest.graphs.vision, "graph"],
    [manifest.graphs.decoder, "graph"],
    ...manifest.shards.map((s): [FileEntry, string] => [s, "shard"]),
  ];
  const files = new Map<string, Uint8Array>();
  const loaded = await Promise.all(entries.map(([entry, what]) => verified(source, entry, what)));
  entries.forEach(([entry], i) => files.set(entry.file, loaded[i] as Uint8Array));
  return { manifest, files, load_ms: Date.now() - started };
}

/** A FileSource over a Fetcher (the ASSETS binding): `<base>/<name>`. */
export function fetcherSource(fetcher: { fetch(input: string): Promise<Response> }, base: string): FileSource {
  return async (name) => {
    const res = await fetcher.fetch(`${base.replace(/\/$/, "")}/${name}`);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  };
}

/** A FileSource over an R2 bucket: `<prefix><name>`. */
export function r2Source(bucket: R2Bucket, prefix: string): FileSource {
  return async (name) => {
    const object = await bucket.get(`${prefix}${name}`);
    if (!object) throw new Error(`no object ${prefix}${name} in the R2 bucket (upload it with npm run upload:model)`);
    return new Uint8Array(await object.arrayBuffer());
  };
}
