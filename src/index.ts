export { ReasoningRun } from "./runs/reasoning-run";
import { createApp } from "./app/create-app";

export default createApp();
