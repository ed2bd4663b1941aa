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
 * gets that error (503) instead of a crash. Misconfiguration never throws at start-up. What each
 * backend kind needs is backend-specs.ts; the result cache's model versions, model-version.ts.
 */
import type { Env } from "../env";
import type { Backend, BackendCapabilities } from "./backend";
import { backendSpec, mockAllowed, type Spec } from "./backend-specs";
import { FallbackBackend, commonCapabilities } from "./fallback";
import { embeddedProvider, type EmbeddedProvider } from "./embedded-provider";
import { testBackends } from "./mock-model";

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

export function configuredModelIds(env: Env): string[] {
  return (env.MODELS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
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
 * embedded model (1.8.0), stage_beam N=4 on its 1,000-question test split: logprob 98.7%, the judge
 * 98.6%, the verifier 98.3%, greedy 98.2%; logprob also costs the fewest tokens of the three
 * (docs/model-card.md). GPU models keep the reference's judge: nothing was measured for them here.
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
