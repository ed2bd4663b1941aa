/**
 * What each kind of backend id needs, checked from the deployment's configuration without calling
 * anything (registry.ts): `embedded:<model>`, `workers-ai:<model>[:<lora>]`, `openai:<served-name>`,
 * `mock:*` and the test suite's registered backends. A spec that cannot be used says why in
 * `error`; one that can has `make`.
 */
import type { Env } from "../env";
import type { Backend, BackendCapabilities } from "./backend";
import { ASSETS_ORIGIN, EMBEDDED_CAPABILITIES, EMBEDDED_MODELS } from "./embedded/catalog";
import { fetcherSource, r2Source, type FileSource } from "./embedded/loader";
import type { EmbeddedProvider } from "./embedded-provider";
import { createFixedLatencyModel, testBackends } from "./mock-model";
import { DEFAULT_OPENAI_TIMEOUT_MS, OpenAiBackend, type OpenAiConfig } from "./openai";
import { PREFILL_MODES, type PrefillMode } from "./openai-request";
import { WorkersAiBackend, type AiBinding } from "./workers-ai";

const MOCK_CAPABILITIES: BackendCapabilities = { n: true, stop: true, logprobs: true, prefill: true, vision: true };
const NO_CAPABILITIES: BackendCapabilities = { n: false, stop: false, logprobs: false, prefill: false, vision: false };
export const KNOWN_BACKENDS = ["embedded", "workers-ai", "openai", "mock"] as const;

export function mockAllowed(env: Env): boolean {
  return env.ALLOW_MOCK_BACKENDS === "1";
}

/** What one `backend:model` needs, checked without calling anything. */
export interface Spec {
  backend: string;
  formatPrompt?: { enabled: boolean; reason: string };
  capabilities: BackendCapabilities;
  description: string;
  error?: string;
  make?: () => Backend;
}

export function splitId(id: string): { backend: string; model: string } {
  const colon = id.indexOf(":");
  return colon < 0 ? { backend: id, model: "" } : { backend: id.slice(0, colon), model: id.slice(colon + 1) };
}

function flag(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value.trim() === "") return fallback;
  return value.trim() === "1" || value.trim().toLowerCase() === "true";
}

/**
 * Whether a served model's name says it was trained on the four stages (LLaVA-CoT's
 * `Xkev/Llama-3.2V-11B-cot`, a `llava-cot` served name, LLaVA-o1): then it needs no instruction.
 */
export function trainedOnStages(model: string): boolean {
  return /(^|[^a-z])(cot|llava-?o1)([^a-z]|$)/i.test(model);
}

function formatPromptReason(raw: string | undefined, varName: string, enabled: boolean, byDefault: string): string {
  if (raw !== undefined && raw.trim() !== "") return `${varName}="${raw.trim()}"`;
  return `${enabled ? "on" : "off"} by default for ${byDefault}; set ${varName} to choose`;
}

function workersAiSpec(env: Env, id: string, rest: string): Spec {
  // `workers-ai:@cf/meta/llama-3.2-11b-vision-instruct[:lora]` — Workers AI model ids have no colon.
  const colon = rest.indexOf(":");
  const model = colon < 0 ? rest : rest.slice(0, colon);
  const lora = colon < 0 ? undefined : rest.slice(colon + 1) || undefined;
  // The base model needs the four-stage instruction; a LoRA fine-tuned on the format does not.
  const formatPrompt = flag(env.WORKERS_AI_FORMAT_PROMPT, lora === undefined);
  const formatReason = formatPromptReason(
    env.WORKERS_AI_FORMAT_PROMPT,
    "WORKERS_AI_FORMAT_PROMPT",
    formatPrompt,
    lora === undefined ? "the base model" : "a LoRA (assumed trained on the four stages)",
  );
  const probe = new WorkersAiBackend({
    ai: { run: () => Promise.reject(new Error("probe")) },
    model,
    lora,
    formatPrompt,
    id,
  });
  const description =
    `Workers AI ${model}${lora ? ` with LoRA ${lora}` : ""} on Cloudflare GPUs (raw Llama 3 prompt, streamed and cut at the closing tag; ` +
    `n = concurrent calls; no logprobs; usage estimated${formatPrompt ? "; four-stage instruction added" : ""})`;
  const spec: Spec = {
    backend: "workers-ai",
    capabilities: probe.capabilities,
    description,
    formatPrompt: { enabled: formatPrompt, reason: formatReason },
  };
  if (model === "")
    spec.error = `"${id}" names no Workers AI model (e.g. workers-ai:@cf/meta/llama-3.2-11b-vision-instruct)`;
  else if (!env.AI)
    spec.error =
      'the AI binding is missing: add `[ai] binding = "AI"` to wrangler.toml (Workers AI needs a Cloudflare account; it has no local simulation)';
  else {
    const ai = env.AI as unknown as AiBinding;
    spec.make = () => new WorkersAiBackend({ ai, model, lora, formatPrompt, id });
  }
  return spec;
}

/** Where the embedded model's files come from: `MODEL_SOURCE` "assets" (default) or "r2" (`MODEL_BUCKET`). */
export function embeddedFiles(env: Env, model: string): { source?: FileSource; where: string; error?: string } {
  const paths = EMBEDDED_MODELS[model];
  if (!paths)
    return {
      where: "",
      error: `unknown embedded model "${model}" (known: ${Object.keys(EMBEDDED_MODELS).join(", ")})`,
    };
  const kind = env.MODEL_SOURCE?.trim() || "assets";
  if (kind === "r2") {
    if (!env.MODEL_BUCKET)
      return {
        where: "R2",
        error:
          'MODEL_SOURCE is "r2" but the R2 binding MODEL_BUCKET is missing: add `[[r2_buckets]] binding = "MODEL_BUCKET"` to this environment (docs/deploy.md)',
      };
    return { source: r2Source(env.MODEL_BUCKET, paths.r2), where: `R2 ${paths.r2}` };
  }
  if (kind !== "assets")
    return { where: "", error: `MODEL_SOURCE must be "assets" or "r2" (got ${JSON.stringify(kind)})` };
  if (!env.ASSETS)
    return {
      where: "assets",
      error:
        'the ASSETS binding is missing: the embedded model is served from model-shards/ through `[assets] binding = "ASSETS"`',
    };
  return {
    source: fetcherSource(env.ASSETS, `${ASSETS_ORIGIN}${paths.assets}`),
    where: `static assets ${paths.assets}`,
  };
}

function embeddedSpec(env: Env, id: string, model: string, provider: EmbeddedProvider | null): Spec {
  const files = embeddedFiles(env, model);
  const spec: Spec = {
    backend: "embedded",
    capabilities: EMBEDDED_CAPABILITIES,
    description:
      `${model}: X1-Tiny, a small int8 vision-language model trained on X1-Shapes, running inside the Worker ` +
      `(the x1 engine: its own wasm kernels; batched decoding of N candidates with a KV cache; logprobs; counted usage; files from ${files.where || "nowhere"})`,
  };
  if (!provider)
    spec.error =
      "this Worker is the GPU-only build (src/index-gpu.ts), which leaves the embedded model out; deploy the full build (main = src/index.ts) to serve embedded models";
  else if (files.error || !files.source) spec.error = files.error ?? "no model files";
  else {
    const source = files.source;
    spec.make = () => provider.backend(id, `${id}@${files.where}`, source);
  }
  return spec;
}

/** One OpenAiBackend per configuration per isolate, so what it learns (a server refusing n) is kept. */
const openAiInstances = new Map<string, OpenAiBackend>();

function openAiSpec(env: Env, id: string, model: string): Spec {
  const prefillRaw = env.OPENAI_PREFILL?.trim() || "continue_final_message";
  const prefill = PREFILL_MODES.includes(prefillRaw as PrefillMode) ? (prefillRaw as PrefillMode) : undefined;
  const timeoutMs = env.OPENAI_TIMEOUT_MS ? Number(env.OPENAI_TIMEOUT_MS) : DEFAULT_OPENAI_TIMEOUT_MS;
  const config: OpenAiConfig = {
    baseUrl: env.OPENAI_BASE_URL?.trim() ?? "",
    model,
    id,
    prefill: prefill ?? "continue_final_message",
    timeoutMs,
    logprobs: flag(env.OPENAI_LOGPROBS, true),
    vision: flag(env.OPENAI_VISION, true),
    formatPrompt: flag(env.OPENAI_FORMAT_PROMPT, !trainedOnStages(model)),
  };
  if (env.OPENAI_API_KEY) config.apiKey = env.OPENAI_API_KEY;
  const probe = new OpenAiBackend(config);
  const description = `OpenAI-compatible server ${config.baseUrl || "(no OPENAI_BASE_URL)"}, model ${model} (prefix continuation: ${config.prefill})`;
  const spec: Spec = {
    backend: "openai",
    capabilities: probe.capabilities,
    description,
    formatPrompt: {
      enabled: config.formatPrompt ?? false,
      reason: formatPromptReason(
        env.OPENAI_FORMAT_PROMPT,
        "OPENAI_FORMAT_PROMPT",
        config.formatPrompt ?? false,
        trainedOnStages(model)
          ? "a model named like a four-stage checkpoint"
          : "a model not named like a four-stage checkpoint",
      ),
    },
  };
  let url: URL | undefined;
  try {
    url = new URL(config.baseUrl);
  } catch {
    url = undefined;
  }
  if (model === "") spec.error = `"${id}" names no served model (e.g. openai:llava-cot)`;
  else if (!config.baseUrl)
    spec.error =
      "OPENAI_BASE_URL is not set: set it in wrangler.toml [vars] (e.g. https://vllm.example.com/v1) and the key with `wrangler secret put OPENAI_API_KEY`";
  else if (!url || (url.protocol !== "https:" && url.protocol !== "http:"))
    spec.error = `OPENAI_BASE_URL is not an http(s) URL: ${JSON.stringify(config.baseUrl)}`;
  else if (!prefill)
    spec.error = `OPENAI_PREFILL must be one of ${PREFILL_MODES.join(", ")} (got ${JSON.stringify(prefillRaw)})`;
  else if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
    spec.error = `OPENAI_TIMEOUT_MS must be a positive number of milliseconds (got ${JSON.stringify(env.OPENAI_TIMEOUT_MS)})`;
  else {
    const key = JSON.stringify(config);
    spec.make = () => {
      let instance = openAiInstances.get(key);
      if (!instance) {
        if (openAiInstances.size > 64) openAiInstances.clear();
        instance = new OpenAiBackend(config);
        openAiInstances.set(key, instance);
      }
      return instance;
    };
  }
  return spec;
}

/** The mock models' latency per call: `MOCK_LATENCY_MS` (0–60,000), else 20 ms. */
function mockLatencyMs(env: Env): number {
  const raw = env.MOCK_LATENCY_MS?.trim() ?? "";
  const ms = Number(raw);
  return raw !== "" && Number.isFinite(ms) && ms >= 0 && ms <= 60_000 ? ms : 20;
}

/** The spec of one backend id, whether or not it is served (used for fallback members too). */
export function backendSpec(env: Env, id: string, provider: EmbeddedProvider | null): Spec | undefined {
  const { backend, model } = splitId(id);
  if (mockAllowed(env)) {
    const registered = testBackends.get(id);
    if (registered)
      return {
        backend,
        capabilities: registered.capabilities,
        description: "test backend registered by the test suite",
        make: () => registered,
      };
  }
  if (backend === "mock") {
    if (!mockAllowed(env)) return undefined;
    return {
      backend,
      capabilities: MOCK_CAPABILITIES,
      description:
        "mock model: scripted text with fixed latency, does not look at the image (for demos and benchmarks)",
      make: () => createFixedLatencyModel({ id, latencyMs: mockLatencyMs(env) }),
    };
  }
  if (backend === "embedded") return embeddedSpec(env, id, model, provider);
  if (backend === "workers-ai") return workersAiSpec(env, id, model);
  if (backend === "openai") return openAiSpec(env, id, model);
  return {
    backend,
    capabilities: NO_CAPABILITIES,
    description: `unknown backend "${backend}"`,
    error: `unknown backend "${backend}" in "${id}" (known: ${KNOWN_BACKENDS.join(", ")}; ids are backend:model)`,
  };
}
