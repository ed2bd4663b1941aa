/** Answer checking as tools/train/evaluate.py `answer_ok` (normalised match, or the same option letter). */
import { normalizeAnswer } from "../../src/reasoning/normalize";

export function answerOk(pred: string, gold: string): boolean {
  if (normalizeAnswer(pred) === normalizeAnswer(gold)) return true;
  const g = /^\(([A-D])\)/.exec(gold);
  const p = /^\s*\(?([A-D])\)?(?:\s|$)/.exec(pred);
  return Boolean(g && p && g[1] === p[1]);
}

export interface DevItem {
  id: string;
  family: string;
  question: string;
  answer: string;
  stages: Record<string, string>;
  judge: { stage: string; context: Record<string, string>; first: string; second: string; better: number }[];
  image_png_base64: string;
}
