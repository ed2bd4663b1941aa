import { expect, it } from "vitest";
import { buildAnswerPrompt } from "../../src/reasoning/prompts";
import { sharedModel } from "./helpers";

// A decode is hundreds of ORT runs; the isolate must keep serving other work between them (timers,
// requests, alarms of other runs), not only once the whole decode is done.
it("a long decode gives the event loop a turn between its steps", async () => {
  const model = await sharedModel();
  const promptIds = model.tokenizer.encodePrompt(buildAnswerPrompt("How many circles are there?"));
  let finished = false;
  let timerTicksDuringDecode = 0;
  const decoding = model
    .decode({ promptIds, n: 1, seeds: [1], temperature: 0.8, topP: 0.95, maxTokens: 48, stop: [], ignoreEos: true })
    .finally(() => (finished = true));
  const tick = (): void => {
    if (finished) return;
    timerTicksDuringDecode++;
    setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  const result = await decoding;
  expect(result.candidates[0]?.ids).toHaveLength(48);
  // Without a turn per step the timer could not run until the decode ended (0 ticks).
  expect(timerTicksDuringDecode).toBeGreaterThan(10);
});
