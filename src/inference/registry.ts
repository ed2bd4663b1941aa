/**
 * Which models this deployment serves, and the backend behind each (`backend:model`).
 *
 * - `MODELS` lists the served ids; the first is the default.
 * - `workers-ai:<model>[:<lora>]` needs the `AI` binding; `openai:<served-model-name>` needs
 *   `OPENAI_BASE_URL` (+ the `OPENAI_API_KEY` secret); `mock:*` needs `ALLOW_MOCK_BACKENDS=1`.
 * - `FALLBACKS` ("a=>b=>c, d=>e") gives a served model a chain of backends tried on retryable errors.
 *
 * A configured model whose backend is not usable (missing binding or URL, unknown backend) is
 * still listed, with `status: "unavailable"` and an `error` saying what to fix; a request naming it
 * gets that error (503) instead of a crash. Misconfiguration never throws at start-up.
 */
import type { Env } from "../env";
import type { Backend, BackendCapabilities } from "./backend";
import { FallbackBackend, commonCapabilities } from "./fallback";
import { ASSETS_ORIGIN, EMBEDDED_CAPABILITIES, EMBEDDED_MODELS } from "./embedded/catalog";
import { fetcherSource, r2Source, type FileSource } from "./embedded/loader";
import { parseManifest } from "./embedded/manifest";
import { embeddedProvider, type EmbeddedProvider } from "./embedded-provider";
import { createFixedLatencyModel, testBackends } from "./mock-model";
import { DEFAULT_OPENAI_TIMEOUT_MS, OpenAiBackend, type OpenAiConfig } from "./openai";
import { PREFILL_MODES, type PrefillMode } from "./openai-request";
import { WorkersAiBackend, type AiBinding } from "./workers-ai";

export type ModelStatus = "ready" | "unavailable";

export interface ModelInfo {
  id: string;
  backend: string;
  capabilities: BackendCapabilities;
  description: string;
  /** `unavailable`: configured, but its backend cannot be used; `error` says why. */
  status: ModelStatus;
  error?: string;
  /** The fallback chain after this model (FALLBACKS), usable members only. */
  fallbacks?: string[];
  /** Members of the chain that were left out, and why. */
  fallback_errors?: string[];
  /** The scorer its runs use when a request names none: what measured best for it. */
  default_scorer: "judge" | "logprob";
  /**
   * GPU backends: whether generation calls carry the four-stage instruction, and why (a base
   * instruction model needs it; a checkpoint trained on the four stages does not).
   */
  format_prompt?: { enabled: boolean; reason: string };
}

const MOCK_CAPABILITIES: BackendCapabilities = { n: true, stop: true, logprobs: true, prefill: true, vision: true };
const NO_CAPABILITIES: BackendCapabilities = { n: false, stop: false, logprobs: false, prefill: false, vision: false };
export const KNOWN_BACKENDS = ["embedded", "workers-ai", "openai", "mock"] as const;

export function configuredModelIds(env: Env): string[] {
  return (env.MODELS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function mockAllowed(env: Env): boolean {
  return env.ALLOW_MOCK_BACKENDS === "1";
}

/** `FALLBACKS`: comma-separated chains `a=>b=>c`; the chain of `a` is `[b, c]`. */
export function fallbackChains(env: Env): Map<string, string[]> {
  const chains = new Map<string, string[]>();
  for (const chain of (env.FALLBACKS ?? "").split(",")) {
    const ids = chain
      .split("=>")
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    const [head, ...rest] = ids;
    if (head && rest.length > 0) chains.set(head, rest);
  }
  return chains;
}

/** What one `backend:model` needs, checked without calling anything. */
interface Spec {
  backend: string;
  formatPrompt?: { enabled: boolean; reason: string };
  capabilities: BackendCapabilities;
  description: string;
  error?: string;
  make?: () => Backend;
}

function splitId(id: string): { backend: string; model: string } {
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
function embeddedFiles(env: Env, model: string): { source?: FileSource; where: string; error?: string } {
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
      `(onnxruntime-web, wasm; batched decoding of N candidates with a KV cache; logprobs; counted usage; files from ${files.where || "nowhere"})`,
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
function backendSpec(env: Env, id: string, provider: EmbeddedProvider | null): Spec | undefined {
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

function chainOf(
  env: Env,
  id: string,
  provider: EmbeddedProvider | null,
): { members: { id: string; spec: Spec }[]; errors: string[] } {
  const members: { id: string; spec: Spec }[] = [];
  const errors: string[] = [];
  for (const next of fallbackChains(env).get(id) ?? []) {
    const spec = backendSpec(env, next, provider);
    if (!spec) errors.push(`${next}: not available on this deployment`);
    else if (spec.error || !spec.make) errors.push(`${next}: ${spec.error ?? "unusable"}`);
    else members.push({ id: next, spec });
  }
  return { members, errors };
}

/** The embedded backend of this build, or null in the GPU-only build. */
const thisBuild = (): EmbeddedProvider | null => embeddedProvider() ?? null;

/**
 * Info for a model this deployment serves (ready or not), or undefined when it serves no such model.
 * `provider` is the build's embedded backend (null: the GPU-only build).
 */
export function getModelInfo(env: Env, id: string, provider = thisBuild()): ModelInfo | undefined {
  const registered = mockAllowed(env) && testBackends.has(id);
  const verifier = env.VERIFIER_MODEL?.trim() === id;
  if (!registered && !verifier && !configuredModelIds(env).includes(id)) return undefined;
  const spec = backendSpec(env, id, provider);
  if (!spec) return undefined;
  const info: ModelInfo = {
    id,
    backend: spec.backend,
    capabilities: spec.capabilities,
    description: spec.description,
    status: spec.error ? "unavailable" : "ready",
    default_scorer: defaultScorer(spec.backend),
  };
  if (spec.error) info.error = spec.error;
  if (spec.formatPrompt) info.format_prompt = spec.formatPrompt;
  const chain = chainOf(env, id, provider);
  if (chain.members.length > 0) {
    info.fallbacks = chain.members.map((m) => m.id);
    info.capabilities = commonCapabilities([spec, ...chain.members.map((m) => m.spec)]);
    info.description += `; falls back to ${info.fallbacks.join(" → ")} on retryable errors`;
  }
  if (chain.errors.length > 0) info.fallback_errors = chain.errors;
  return info;
}

/**
 * The scorer a model's runs use when the request names none, from what measured best for it. The
 * embedded model, stage_beam N=4 on its 1,000-question test split: logprob 91.2%, the judge 89.1%,
 * greedy 90.2% (docs/model-card.md). GPU models keep the reference's judge: nothing was measured
 * for them here.
 */
function defaultScorer(backend: string): ModelInfo["default_scorer"] {
  return backend === "embedded" ? "logprob" : "judge";
}

export function listModels(env: Env): ModelInfo[] {
  return configuredModelIds(env)
    .map((id) => getModelInfo(env, id))
    .filter((m): m is ModelInfo => m !== undefined);
}

/** The first configured model (even when unavailable: a request then says why, rather than silently using another). */
export function defaultModelId(env: Env): string | undefined {
  return listModels(env)[0]?.id;
}

/** The backend for a model id (wrapped in its fallback chain); throws a clear Error when it is not served or not usable. */
export function resolveBackend(env: Env, id: string, provider = thisBuild()): Backend {
  const info = getModelInfo(env, id, provider);
  if (!info)
    throw new Error(
      `model "${id}" is not served by this deployment (configured: ${configuredModelIds(env).join(", ") || "none"})`,
    );
  const spec = backendSpec(env, id, provider);
  if (info.status !== "ready" || !spec?.make)
    throw new Error(`model "${id}" is unavailable: ${info.error ?? "misconfigured"}`);
  const primary = spec.make();
  const chain = chainOf(env, id, provider).members.map((m) => (m.spec.make as () => Backend)());
  return chain.length > 0 ? new FallbackBackend([primary, ...chain]) : primary;
}

/**
 * The backend that scores a run's candidates for the `verifier` scorer: VERIFIER_MODEL (with its
 * fallbacks) when set, else undefined (the run's own model verifies, if it can).
 */
export function resolveVerifier(env: Env): Backend | undefined {
  const id = env.VERIFIER_MODEL?.trim();
  return id ? resolveBackend(env, id) : undefined;
}

/**
 * Whether runs of `model` can use the `verifier` scorer, and if not, why: a 400's message.
 */
export function verifierProblem(env: Env, model: ModelInfo): string | null {
  const id = env.VERIFIER_MODEL?.trim();
  if (id) {
    const info = getModelInfo(env, id);
    if (!info) return `VERIFIER_MODEL "${id}" names no backend this deployment can use`;
    if (info.status !== "ready") return `VERIFIER_MODEL "${id}" is unavailable: ${info.error ?? "misconfigured"}`;
    return info.capabilities.verify
      ? null
      : `VERIFIER_MODEL "${id}" cannot verify (it needs logprobs from chat completions)`;
  }
  return model.capabilities.verify
    ? null
    : `"${model.id}" cannot verify candidates and no VERIFIER_MODEL is set (docs/backends.md, "The verifier")`;
}

/** Embedded models' versions read from their manifests, kept a minute per isolate. */
const versionCache = new Map<string, { version: string; until: number }>();
const VERSION_TTL_MS = 60_000;

/**
 * What identifies the weights behind a served model, for the result cache: an embedded model's
 * manifest version (read from wherever its files live, so new shards in R2 count), else the
 * backend id with its fallback chain; `CACHE_VERSION` (any string) is added to both, so an operator
 * who swaps the checkpoint behind a served name can invalidate the cache.
 */
export async function modelVersion(env: Env, id: string): Promise<string> {
  const suffix = env.CACHE_VERSION ? `#${env.CACHE_VERSION}` : "";
  const chain = fallbackChains(env).get(id) ?? [];
  const { backend, model } = splitId(id);
  if (backend !== "embedded") return [id, ...chain].join("=>") + suffix;
  const source = embeddedFiles(env, model).source;
  if (!source) return id + suffix;
  const key = `${id}@${env.MODEL_SOURCE ?? "assets"}`;
  const cached = versionCache.get(key);
  if (cached && cached.until > Date.now()) return cached.version + suffix;
  const manifest = parseManifest(new TextDecoder().decode(await source("manifest.json")));
  const version = `${id}@${manifest.version}`;
  versionCache.set(key, { version, until: Date.now() + VERSION_TTL_MS });
  return version + suffix;
}
