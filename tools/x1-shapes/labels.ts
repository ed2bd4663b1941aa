/**
 * Exact labels for a sampled stage, for the stage verifier. The generator phrases each stage in
 * one of a few ways, picked by the item's variant number (`v`), and the question does not always
 * say which: "I will find all the squares…" and "I will look for each square…" are both a right
 * SUMMARY of "Count the squares.". So a sample is right when some variant of the item's own
 * question gives that exact stage — any phrasing, but every fact and step as the generator wrote
 * it — and a CONCLUSION is right when it gives the item's answer.
 */
import { answerOk } from "../eval/answers";
import type { Stage } from "../../src/reasoning/stages";
import { type Params, type Stages, solve } from "./families";
import type { Scene } from "./scene";

/** Every variant number a family's phrasing can use (choose.ts draws v below 16). */
const VARIANTS = 16;

function withVariant(p: Params, v: number): Params {
  return p.kind === "choice" ? { ...p, base: withVariant(p.base, v) } : { ...p, v };
}

/** Every phrasing of the item's stages that goes with its question. */
export function stageVariants(scene: Scene, params: Params, question: string): Stages[] {
  const out: Stages[] = [];
  for (let v = 0; v < VARIANTS; v++) {
    const solved = solve(scene, withVariant(params, v));
    if (solved.question === question) out.push(solved.stages);
  }
  return out;
}

export function isRightStage(stage: Stage, text: string, variants: readonly Stages[], answer: string): boolean {
  if (stage === "CONCLUSION") return answerOk(text, answer);
  return variants.some((s) => s[stage] === text.trim());
}
