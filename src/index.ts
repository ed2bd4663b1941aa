export { ReasoningRun } from "./runs/reasoning-run";
export { KeyLimiter } from "./platform/key-limiter";
import { createApp } from "./app/create-app";

export default createApp();
