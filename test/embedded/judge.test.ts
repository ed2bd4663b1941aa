import { describe, expect, it } from "vitest";
import samples from "../../data/x1-shapes/samples/samples.json";
import { EmbeddedBackend } from "../../src/inference/embedded";
import { buildJudgePrompt, parseVerdict, readJudgeReply, type JudgedStage } from "../../src/reasoning/judge";
import { JUDGE_MAX_TOKENS } from "../../src/reasoning/steps";
import type { Stage } from "../../src/reasoning/stages";
import { sample, sharedModel } from "./helpers";

const backend = new EmbeddedBackend({ id: "embedded:x1-shapes-tiny", model: sharedModel });

/** A subtly wrong version of a stage: its first number one higher, or (no number) its first size or yes/no word swapped. */
function slipped(text: string): string {
  if (/\d/.test(text)) return text.replace(/\d+/, (n) => String(Number(n) + 1));
  const swaps: Record<string, string> = { small: "large", large: "small", yes: "no", no: "yes" };
  return text.replace(/\b(small|large|yes|no)\b/, (w) => swaps[w] ?? w);
}

interface Pair {
  family: string;
  stage: JudgedStage;
  context: Partial<Record<Stage, string>>;
  right: string;
  wrong: string;
}

// The committed samples are dev scenes the model never trained on; the wrong candidates are made here, not by the generator.
const pairs: Pair[] = samples.flatMap((s) => [
  {
    family: s.family,
    stage: "REASONING" as const,
    context: { SUMMARY: s.stages.SUMMARY, CAPTION: s.stages.CAPTION },
    right: s.stages.REASONING,
    wrong: slipped(s.stages.REASONING),
  },
  {
    family: s.family,
    stage: "CONCLUSION" as const,
    context: { SUMMARY: s.stages.SUMMARY, CAPTION: s.stages.CAPTION, REASONING: s.stages.REASONING },
    right: s.stages.CONCLUSION,
    wrong: slipped(s.stages.CONCLUSION),
  },
]);

describe("the embedded model judges pairs of candidates inside workerd", () => {
  it("writes its own reference, checks both responses against it and names a verdict; the engine picks the right side by the reference", async () => {
    const tally: Record<string, [number, number]> = {};
    const read: Record<string, number> = {};
    const misses: string[] = [];
    for (const p of pairs) {
      expect(p.wrong, `${p.family} ${p.stage}`).not.toBe(p.right);
      const image = { bytes: sample(p.family).png, media_type: "image/png" as const };
      const question = sample(p.family).question;
      for (const better of [1, 2] as const) {
        const [first, second] = better === 1 ? [p.right, p.wrong] : [p.wrong, p.right];
        const out = await backend.generate({
          purpose: "judge",
          prompt: buildJudgePrompt(p.stage, question, p.context, first, second),
          n: 1,
          seeds: [0],
          stop: [],
          max_tokens: JUDGE_MAX_TOKENS,
          temperature: 0,
          top_p: 1,
          logprobs: false,
          image,
        });
        const text = out.generations[0]?.text ?? "";
        // The trained reply: "Check: <its own version>", one line per response, the verdict.
        expect(
          text.split("\n").map((line) => line.split(":")[0]),
          text,
        ).toEqual(["Check", "Response 1", "Response 2", "VERDICT"]);
        const winner = parseVerdict(text).winner;
        expect(winner, text).not.toBeNull();
        const cell = (tally[p.stage] ??= [0, 0]);
        cell[0] += Number(winner === better);
        cell[1] += 1;
        // What the engine decides: the side closer to the judge's own reference (src/reasoning/judge.ts).
        const reading = readJudgeReply(p.stage, text, first, second);
        read[p.stage] = (read[p.stage] ?? 0) + Number(reading.winner === better);
        if (reading.winner !== better) misses.push(`${p.family} ${p.stage} (right one is Response ${better}): ${text}`);
      }
    }
    // Measured with run 10: the engine's reading 16/16 on both stages; the verdict lines alone
    // CONCLUSION 14/16, REASONING 10/16 (measured on run 10).
    for (const stage of ["REASONING", "CONCLUSION"]) {
      expect(tally[stage]?.[1]).toBe(16);
      expect(read[stage], misses.join("\n")).toBeGreaterThanOrEqual(15);
    }
    expect(tally.CONCLUSION?.[0], "the verdict lines alone, CONCLUSION").toBeGreaterThanOrEqual(13);
  });
});
