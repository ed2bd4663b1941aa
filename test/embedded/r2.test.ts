/**
 * The embedded model's files from R2 (MODEL_SOURCE = "r2", local R2 in workerd): the same files
 * and the same integrity checks as from static assets, and clear errors when R2 is not set up or
 * the build has no embedded model.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import manifest from "../../model-shards/manifest.json";
import { getModelInfo, resolveBackend } from "../../src/inference/registry";
import type { Env } from "../../src/env";
import { assetsSource, sample } from "./helpers";

const ID = "embedded:x1-shapes-tiny";
const FILES = [
  "manifest.json",
  manifest.tokenizer.file,
  manifest.graphs.vision.file,
  manifest.graphs.decoder.file,
  ...manifest.shards.map((s) => s.file),
];

function r2Env(patch: Partial<Env> = {}): Env {
  return { ...(env as unknown as Env), MODELS: ID, MODEL_SOURCE: "r2", ...patch };
}

async function upload(change?: {
  file: string;
  bytes: (b: Uint8Array<ArrayBuffer>) => Uint8Array<ArrayBuffer>;
}): Promise<void> {
  const bucket = env.MODEL_BUCKET as R2Bucket;
  for (const file of FILES) {
    let bytes: Uint8Array<ArrayBuffer> = new Uint8Array(await assetsSource()(file));
    if (change?.file === file) bytes = change.bytes(bytes);
    await bucket.put(`x1-shapes-tiny/${file}`, bytes);
  }
}

async function greedyAnswer(e: Env): Promise<string> {
  const s = sample("count_colour");
  const backend = resolveBackend(e, ID);
  const res = await backend.generate({
    purpose: "generate",
    logprobs: false,
    prompt: { user: s.question, assistant_prefix: "<SUMMARY>", with_image: true },
    image: { bytes: s.png, media_type: "image/png" },
    n: 1,
    temperature: 0,
    top_p: 1,
    max_tokens: 64,
    stop: ["</SUMMARY>"],
    seeds: [1],
  });
  return res.generations[0]?.text ?? "";
}

describe("the embedded model from R2", () => {
  beforeAll(async () => {
    // First a corrupted copy: the backend must refuse it, naming the shard (and cache nothing).
    const shard = manifest.shards[2]?.file as string;
    await upload({ file: shard, bytes: (b) => b.map((x, i) => (i === 100 ? x ^ 0xff : x)) });
  });

  it("refuses a corrupted shard in the bucket with the same SHA-256 check, naming it", async () => {
    const shard = manifest.shards[2]?.file as string;
    await expect(greedyAnswer(r2Env())).rejects.toThrow(new RegExp(`${shard} failed its SHA-256 check`));
  });

  it("serves the same model from the bucket as from the static assets", async () => {
    await upload();
    const info = getModelInfo(r2Env(), ID);
    expect(info?.status).toBe("ready");
    expect(info?.description).toContain("files from R2 x1-shapes-tiny/");
    const fromR2 = await greedyAnswer(r2Env());
    const fromAssets = await greedyAnswer(r2Env({ MODEL_SOURCE: "assets" }));
    expect(fromR2.length).toBeGreaterThan(10);
    expect(fromR2).toBe(fromAssets);
  });

  it("is unavailable, saying what to add, without a bucket binding", () => {
    const info = getModelInfo(r2Env({ MODEL_BUCKET: undefined }), ID);
    expect(info?.status).toBe("unavailable");
    expect(info?.error).toMatch(/MODEL_BUCKET is missing/);
    expect(getModelInfo(r2Env({ MODEL_SOURCE: "s3" }), ID)?.error).toMatch(/MODEL_SOURCE must be "assets" or "r2"/);
  });

  it("is unavailable in the GPU-only build, saying which build to deploy", () => {
    const info = getModelInfo(r2Env({ MODEL_SOURCE: "assets" }), ID, null);
    expect(info?.status).toBe("unavailable");
    expect(info?.error).toMatch(/GPU-only build/);
  });
});
