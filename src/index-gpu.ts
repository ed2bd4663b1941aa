// The GPU-only Worker: Workers AI and OpenAI-compatible backends, without the embedded model, so
// the embedded model's engine is not bundled (docs/deploy.md, "Builds"). Everything else is src/index.ts.
import { createApp } from "./app/create-app";

export { ReasoningRun } from "./runs/reasoning-run";
export { KeyLimiter } from "./platform/key-limiter";
export { BatchRun } from "./app/batches/batch-object";

export default createApp();
