/**
 * Datasets from the model's own samples, labelled by the generator: `mined` (judge items from its
 * wrong stages) and `verify` (verifier items); options at the top of cli.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { substream } from "./prng";
import type { Stages } from "./families";
import { type Item, judgeExample, minedJudgeItems, verifyExample } from "./items";
import { wrongCandidate } from "./corrupt";
import { isRightStage, stageVariants } from "./labels";
import { STAGES, type Stage } from "../../src/reasoning/stages";
import { Encoded, loadTokenizer, readItems, sceneOf, writeDerived } from "./dataset";

export function mined(a: Record<string, string>): void {
  const from = a.from;
  const pairsPath = a.pairs;
  const out = a.out;
  if (!from || !pairsPath || !out) throw new Error("mined needs --from DIR --pairs FILE --out DIR");
  const items = readItems(from);
  mkdirSync(out, { recursive: true });
  const data = new Encoded(loadTokenizer());
  let pairs = 0;
  for (const line of readFileSync(pairsPath, "utf8").trim().split("\n")) {
    const p = JSON.parse(line) as { item: string; stage: "CAPTION" | "REASONING"; wrong: string };
    const item = items.get(p.item);
    if (!item) throw new Error(`mined: item ${p.item} of ${pairsPath} is not in ${from}/items.jsonl`);
    pairs++;
    for (const j of minedJudgeItems(item, p.stage, p.wrong)) data.add(judgeExample(item, j), item.img);
  }
  writeDerived(from, out, data, { mined_from: pairsPath, pairs });
  console.log(
    `mined: ${pairs} wrong stages, ${data.count} judge examples, ${data.tokens.length} tokens, max len ${data.stats.max_len} -> ${out}`,
  );
}

/**
 * Verifier items from the model's own samples (tools/train/mine.py --all), labelled exactly
 * (labels.ts): every wrong sample, about --positives right ones per wrong one in each stage, and
 * with probability --planted per item and stage a planted wrong candidate (corrupt.ts) with a right
 * one, so stages the model seldom gets wrong still have negatives. Writes the labelled samples to
 * labels.jsonl too (tools/train/verify_eval.py scores held-out ones).
 */
export function verify(a: Record<string, string>): void {
  const from = a.from;
  const samplesPath = a.samples;
  const out = a.out;
  if (!from || !samplesPath || !out) throw new Error("verify needs --from DIR --samples FILE --out DIR");
  const positives = Number(a.positives ?? 1);
  const planted = Number(a.planted ?? 0);
  const items = readItems(from);
  const variants = new Map<string, Stages[]>();
  const variantsOf = (item: Item): Stages[] => {
    let v = variants.get(item.id);
    if (!v) variants.set(item.id, (v = stageVariants(sceneOf(item), item.params, item.question)));
    return v;
  };
  const rows = readFileSync(samplesPath, "utf8")
    .trim()
    .split("\n")
    .map((line) => {
      const r = JSON.parse(line) as {
        item: string;
        stage: Stage;
        text: string;
        times: number;
        context?: Partial<Stages>;
      };
      const item = items.get(r.item);
      if (!item) throw new Error(`verify: item ${r.item} of ${samplesPath} is not in ${from}/items.jsonl`);
      return { ...r, family: item.family, right: isRightStage(r.stage, r.text, variantsOf(item), item.answer) };
    });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "labels.jsonl"), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  const tally = (right: boolean) => {
    const m = new Map<Stage, number>();
    for (const r of rows) if (r.right === right) m.set(r.stage, (m.get(r.stage) ?? 0) + 1);
    return m;
  };
  const wrongByStage = tally(false);
  const rightByStage = tally(true);
  const rng = substream(Number(a.seed ?? 17), 0);
  const data = new Encoded(loadTokenizer());
  if (a.all === "true") {
    // An evaluation set: every labelled sample once, grouped by item and stage (a right and a wrong
    // sample of one group make a held-out pair), for tools/train/verify_eval.py.
    const groups = new Map<string, number>();
    for (const r of rows) {
      const key = JSON.stringify([r.item, r.stage]);
      if (!groups.has(key)) groups.set(key, groups.size + 1);
      const item = items.get(r.item)!;
      data.add({ ...verifyExample(item, r.stage, r.text, r.right, r.context), group: groups.get(key) }, item.img);
    }
    writeDerived(from, out, data, { verify_from: samplesPath, groups: groups.size });
    console.log(`verify --all: ${data.count} labelled samples in ${groups.size} groups -> ${out}`);
    return;
  }
  const counts: Record<string, { right: number; wrong: number; planted: number }> = {};
  const count = (stage: Stage) => (counts[stage] ??= { right: 0, wrong: 0, planted: 0 });
  for (const r of rows) {
    const item = items.get(r.item)!;
    const keep = r.right ? (positives * (wrongByStage.get(r.stage) ?? 0)) / (rightByStage.get(r.stage) ?? 1) : 1;
    if (rng() < keep) {
      data.add(verifyExample(item, r.stage, r.text, r.right, r.context), item.img);
      count(r.stage)[r.right ? "right" : "wrong"]++;
    }
  }
  if (planted > 0) {
    for (const item of items.values()) {
      const right = { question: item.question, answer: item.answer, stages: item.stages };
      for (const stage of STAGES) {
        if (rng() >= planted) continue;
        const wrong = wrongCandidate(rng, sceneOf(item), item.params, right, stage);
        if (!wrong || isRightStage(stage, wrong.text, variantsOf(item), item.answer)) continue;
        data.add(verifyExample(item, stage, wrong.text, false), item.img);
        data.add(verifyExample(item, stage, item.stages[stage], true), item.img);
        count(stage).planted++;
      }
    }
  }
  writeDerived(from, out, data, { verify_from: samplesPath, counts });
  console.log(`verify: ${JSON.stringify(counts)}; ${data.count} examples, ${data.tokens.length} tokens -> ${out}`);
}
