/** The four stages of an answer, always in this order (docs/search.md). */
export const STAGES = ["SUMMARY", "CAPTION", "REASONING", "CONCLUSION"] as const;
export type Stage = (typeof STAGES)[number];

export const openTag = (stage: Stage): string => `<${stage}>`;
export const closeTag = (stage: Stage): string => `</${stage}>`;

export function nextStage(stage: Stage): Stage | undefined {
  return STAGES[STAGES.indexOf(stage) + 1];
}
