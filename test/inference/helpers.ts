/** Shared helpers for the backend tests. */
import type { GenerateOptions } from "../../src/inference/backend";
import type { ModelRequest } from "../../src/reasoning/types";

/** A generation request for the SUMMARY stage (prefix `<SUMMARY>`, stop `</SUMMARY>`), overridable. */
export function request(
  overrides: Partial<ModelRequest> & { image?: GenerateOptions["image"]; signal?: AbortSignal } = {},
): GenerateOptions {
  return {
    purpose: "generate",
    prompt: { user: "How many red circles are there?", assistant_prefix: "<SUMMARY>", with_image: true },
    n: 1,
    seeds: [11],
    stop: ["</SUMMARY>"],
    max_tokens: 128,
    temperature: 0.6,
    top_p: 0.9,
    logprobs: false,
    ...overrides,
  };
}

export const PNG_BYTES = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 250, 255]);

/** The stage a prompt continues: the last opening tag of its assistant prefix. */
export function stageOfPrefix(prefix: string): string | undefined {
  return [...prefix.matchAll(/<(SUMMARY|CAPTION|REASONING|CONCLUSION)>/g)].at(-1)?.[1];
}
