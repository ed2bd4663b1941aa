import { describe, expect, it } from "vitest";
import manifest from "../../model-shards/manifest.json";
import { loadModelFiles, ModelIntegrityError, type FileSource } from "../../src/inference/embedded/loader";
import { X1Model } from "../../src/inference/embedded/model";
import { workerdRuntime } from "../../src/inference/embedded/ort-workerd";
import { assetsSource, sharedModel } from "./helpers";

/** The real files, with one of them altered on the way. */
function tampered(file: string, change: (bytes: Uint8Array) => Uint8Array): FileSource {
  const real = assetsSource();
  return async (name) => (name === file ? change(new Uint8Array(await real(name))) : real(name));
}

describe("the embedded model's files (model-shards/ through the ASSETS binding)", () => {
  it("loads and verifies the manifest, tokenizer, graphs and every shard", async () => {
    expect(manifest.model).toBe("x1-shapes-tiny");
    expect(manifest.shards.length).toBeGreaterThanOrEqual(2);
    for (const s of manifest.shards) expect(s.bytes).toBeLessThanOrEqual(25 * 1024 * 1024);
    const loaded = await loadModelFiles(assetsSource());
    expect([...loaded.files.keys()].sort()).toEqual(
      [
        manifest.tokenizer.file,
        manifest.graphs.vision.file,
        manifest.graphs.decoder.file,
        ...manifest.shards.map((s) => s.file),
      ].sort(),
    );
    const model = await sharedModel();
    expect(model.manifest.version).toBe(manifest.version);
  });

  it("rejects a corrupted shard with an error naming it", async () => {
    const shard = manifest.shards[1]?.file as string;
    const flipped = tampered(shard, (b) => {
      b[b.length >> 1] = (b[b.length >> 1] as number) ^ 0x01;
      return b;
    });
    const err = await loadModelFiles(flipped).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelIntegrityError);
    expect((err as ModelIntegrityError).file).toBe(shard);
    expect((err as Error).message).toMatch(new RegExp(`shard ${shard} failed its SHA-256 check`));
  });

  it("rejects a truncated shard and a missing one, naming them", async () => {
    const first = manifest.shards[0]?.file as string;
    await expect(loadModelFiles(tampered(first, (b) => b.subarray(0, b.length - 1)))).rejects.toThrow(
      `shard ${first} has`,
    );
    const missing: FileSource = async (name) => {
      if (name === first) throw new Error("HTTP 404");
      return assetsSource()(name);
    };
    await expect(loadModelFiles(missing)).rejects.toThrow(`shard ${first} could not be read: HTTP 404`);
  });

  it("refuses a decoder exported before the caller-owned cache (1.6.0 and older), saying how to re-export it", async () => {
    const loaded = await loadModelFiles(assetsSource());
    const dec = loaded.manifest.graphs.decoder;
    expect(dec.inputs).toContain("prefix_key_0");
    expect(dec.outputs).toContain("new_key_0");
    const withDecoder = (decoder: typeof dec) => ({
      ...loaded,
      manifest: { ...loaded.manifest, graphs: { ...loaded.manifest.graphs, decoder } },
    });
    // 1.6.0: the shared prefix, but the whole cache concatenated and returned as present_*.
    const v160 = withDecoder({ ...dec, outputs: dec.outputs.map((o) => o.replace(/^new_/, "present_")) });
    // 1.5.0: no shared prefix either.
    const v150 = withDecoder({
      ...dec,
      inputs: dec.inputs.filter((i) => !i.startsWith("prefix_")),
      outputs: v160.manifest.graphs.decoder.outputs,
    });
    for (const stale of [v160, v150]) {
      await expect(X1Model.create(stale, workerdRuntime())).rejects.toThrow(
        /predates the caller-owned cache .*re-export it with tools\/export\/build\.sh/,
      );
    }
  });
});
