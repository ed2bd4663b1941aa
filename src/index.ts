// The full Worker: every backend, the embedded model included (its x1 engine in the bundle).
// src/index-gpu.ts is the same Worker without the embedded model, for GPU-only deployments.
import "./inference/embedded/register";
import { createApp } from "./app/create-app";

export { ReasoningRun } from "./runs/reasoning-run";
export { KeyLimiter } from "./platform/key-limiter";
export { BatchRun } from "./app/batches/batch-object";

export default createApp();
