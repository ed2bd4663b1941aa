/**
 * Text normalisation shared by twin merging and voting. Kept separate because the two need
 * different strengths: twins must be the same text, votes the same answer.
 */

/** For twin detection: case and whitespace do not make two candidates different. */
export function normalizeForTwins(text: string): string {
  return text.toLowerCase().replace(/\s+/g, " ").trim();
}

// Lead-ins that carry no answer: "The answer is B." and "B" are the same vote.
const ANSWER_LEAD_INS = [
  /\b(?:so|therefore|thus|hence)\b,?/g,
  /\bthe (?:final |correct )?answer (?:is|would be|should be)\b:?/g,
  /\b(?:final )?answer\s*:/g,
  /\bthe correct (?:option|choice) is\b/g,
];

/** For voting: lower case, lead-ins removed, punctuation and whitespace stripped (a decimal point between digits is kept). */
export function normalizeAnswer(text: string): string {
  let s = text.toLowerCase();
  for (const pattern of ANSWER_LEAD_INS) s = s.replace(pattern, " ");
  s = s.replace(/(\d)\.(\d)/g, "$1\uE000$2");
  s = s.replace(/[^\p{L}\p{N}\uE000]+/gu, "");
  return s.replace(/\uE000/g, ".");
}

/** Word set for Jaccard similarity: lower-cased letter/digit runs. */
export function tokenSet(text: string): Set<string> {
  return new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
}

/** |A ∩ B| / |A ∪ B|; two empty sets are identical (1). */
export function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const token of a) if (b.has(token)) shared++;
  return shared / (a.size + b.size - shared);
}
