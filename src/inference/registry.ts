/**
 * Which models this deployment serves, and the backend behind each (`backend:model`).
 * Configured by the MODELS var; misconfiguration is reported at request time, never a crash.
 */
import type { Env } from "../env";
import type { Backend, BackendCapabilities } from "./backend";
import { createFixedLatencyModel, testBackends } from "./mock-model";

export interface ModelInfo {
  id: string;
  backend: string;
  capabilities: BackendCapabilities;
  description: string;
}

const MOCK_CAPABILITIES: BackendCapabilities = { n: true, stop: true, logprobs: true, prefill: true, vision: true };

export function configuredModelIds(env: Env): string[] {
  return (env.MODELS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function mockAllowed(env: Env): boolean {
  return env.ALLOW_MOCK_BACKENDS === "1";
}

/** Info for a model this deployment serves, or undefined when it serves no such model. */
export function getModelInfo(env: Env, id: string): ModelInfo | undefined {
  const [backend] = id.split(":", 1);
  if (backend === "mock") {
    if (!mockAllowed(env)) return undefined;
    const registered = testBackends.get(id);
    if (registered) return { id, backend, capabilities: registered.capabilities, description: "test backend registered by the test suite" };
    if (!configuredModelIds(env).includes(id)) return undefined;
    return { id, backend, capabilities: MOCK_CAPABILITIES, description: "mock model: scripted text with fixed latency, does not look at the image (for demos and benchmarks)" };
  }
  return undefined;
}

export function listModels(env: Env): ModelInfo[] {
  return configuredModelIds(env)
    .map((id) => getModelInfo(env, id))
    .filter((m): m is ModelInfo => m !== undefined);
}

export function defaultModelId(env: Env): string | undefined {
  return listModels(env)[0]?.id;
}

/** The backend for a model id; throws a clear Error when it is not served here. */
export function resolveBackend(env: Env, id: string): Backend {
  const info = getModelInfo(env, id);
  if (!info) throw new Error(`model "${id}" is not served by this deployment (configured: ${configuredModelIds(env).join(", ") || "none"})`);
  const registered = testBackends.get(id);
  if (registered) return registered;
  return createFixedLatencyModel({ id, latencyMs: 20 });
}
