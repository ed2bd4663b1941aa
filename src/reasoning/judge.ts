/**
 * Judge and self-check prompts, and tolerant parsing of their replies. Our own wording of the
 * stage-specific criteria of the reference method (docs/search.md). The dataset generator uses these
 * exact builders to train a small judge, so they are deterministic and compact: every fixed
 * instruction is kept under ~350 characters for a short context window.
 *
 * Unparseable replies (the planner applies these rules; they live here so they are written once):
 * - verdict: no explicit verdict → the candidate with the higher mean logprob if both are known,
 *   else the one with fewer parser repairs, else Response 1 (the bracket's first-seeded side);
 *   recorded as `decided_by: "fallback"`. (The reference counts anything unparseable as 2.)
 * - self-check: no CHECK line → 'unknown', treated as not incorrect.
 *
 * A judge may open its reply with its own version of the stage, `Check: <text>` (the embedded
 * model is trained to). Then the response closer to that reference, in word edits, wins, and the
 * explicit verdict only breaks ties (`readJudgeReply`). Why: the small embedded judge writes the
 * right reference far more often than it then compares two responses with it correctly (on the
 * X1-Shapes dev split, run 9: 94.0% of pairs go to the right side by the reference, 74.2% by its
 * own verdict lines), and an edit distance compares exactly where a 4-layer decoder cannot.
 */
import { renderStages } from "./parser";
import type { Stage } from "./stages";
import type { Prompt } from "./types";
import { buildVerifyPrompt } from "./verify";

export type JudgedStage = Stage | "ANSWER";

const FORMAT = 'Write one sentence of rationale, then a last line exactly "VERDICT: 1" or "VERDICT: 2".';

const CRITERIA: Record<JudgedStage, string> = {
  SUMMARY:
    "Both are the SUMMARY stage. Prefer the one that clearly outlines how to answer the question, step by step, without solving it yet.",
  CAPTION:
    "Both are the CAPTION stage. Prefer the one that describes what the question needs from the image accurately and completely, with fewer errors.",
  REASONING:
    "Both are the REASONING stage. Prefer sound step-by-step logic that uses the caption, checks its steps and makes no mistakes.",
  CONCLUSION:
    "Both are the CONCLUSION stage. Prefer the answer consistent with the caption and reasoning that answers directly; a refusal or hedge loses.",
  ANSWER:
    "Both are whole answers. Prefer the one whose conclusion is correct and whose stages are accurate and consistent with each other.",
};

function contextBlock(context: Partial<Record<Stage, string>>): string {
  const rendered = renderStages(context);
  return rendered === "" ? "" : `\n\nAccepted earlier stages:\n${rendered}`;
}

/** Which of two candidates is better for this stage; the judge sees the image, the question and the accepted stages. */
export function buildJudgePrompt(
  stage: JudgedStage,
  question: string,
  context: Partial<Record<Stage, string>>,
  first: string,
  second: string,
  withImage = true,
): Prompt {
  const user =
    `Compare two responses to a question about the image. ${CRITERIA[stage]} ${FORMAT}\n\n` +
    `Question: ${question}${contextBlock(context)}\n\nResponse 1:\n${first}\n\nResponse 2:\n${second}`;
  return { user, assistant_prefix: "", with_image: withImage };
}

export interface Verdict {
  winner: 1 | 2 | null;
  rationale: string;
}

// Explicit verdict forms, most formal first; the last one in the text wins (models revise).
const VERDICT_PATTERNS: RegExp[] = [
  /\bverdict\b\s*[:=-]?\s*(?:response\s*)?#?\s*([12])\b/gi,
  /\bresponse\s*#?\s*([12])\s+(?:is|was|seems|looks)\s+(?:clearly\s+|slightly\s+)?(?:better|preferred|stronger|more\s+\w+|the\s+better)/gi,
  /\b(?:i\s+)?(?:prefer|choose|pick|select)\s+response\s*#?\s*([12])\b/gi,
];

/** Tolerant: `VERDICT: 2`, `verdict 1`, `Response 1 is better`…; the last explicit verdict wins; null when none. */
export function parseVerdict(raw: string): Verdict {
  let best: { index: number; winner: 1 | 2 } | undefined;
  for (const pattern of VERDICT_PATTERNS) {
    for (const m of raw.matchAll(pattern)) {
      if (!best || m.index >= best.index) best = { index: m.index, winner: m[1] === "1" ? 1 : 2 };
    }
  }
  return { winner: best?.winner ?? null, rationale: rationaleOf(raw) };
}

/** The judge's own version of the stage, when the reply's first line is `Check: <text>`; else null. */
export function judgeReference(raw: string): string | null {
  const first = raw.trimStart().split("\n", 1)[0]?.trim() ?? "";
  const m = /^check:\s*(\S.*)$/i.exec(first);
  return m?.[1] ?? null;
}

/**
 * A response as a judge's reference is written: the stage's text (a tagged path is reduced to the
 * judged stage), and for a whole answer "<REASONING text> Answer: <CONCLUSION text>." — the
 * reasoning carries the answer's logic, the conclusion the answer itself.
 */
export function referenceForm(stage: JudgedStage, response: string): string {
  const inner = (s: Stage): string | undefined => new RegExp(`<${s}>([\\s\\S]*?)</${s}>`).exec(response)?.[1];
  if (stage === "ANSWER") return `${inner("REASONING") ?? ""} Answer: ${inner("CONCLUSION") ?? ""}.`;
  return inner(stage) ?? response;
}

const WORD = /\w+|[^\w\s]/g;
/** Word edits compared at most: bounds the quadratic distance on a runaway reply (2,000² cells, ~10 ms). */
const MAX_WORDS = 2000;

/** Levenshtein distance over words and punctuation marks (whitespace and letter case ignored). */
export function wordEditDistance(a: string, b: string): number {
  const x = (a.toLowerCase().match(WORD) ?? []).slice(0, MAX_WORDS);
  const y = (b.toLowerCase().match(WORD) ?? []).slice(0, MAX_WORDS);
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur.push(
        Math.min(
          (prev[j] as number) + 1,
          (cur[j - 1] as number) + 1,
          (prev[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1),
        ),
      );
    }
    prev = cur;
  }
  return prev[y.length] as number;
}

export interface JudgeReading extends Verdict {
  /** What decided: the distances to the judge's reference, its explicit verdict, or nothing (winner null). */
  by: "reference" | "verdict" | null;
}

/**
 * A judge reply read against the two responses it was shown: with a `Check:` reference, the
 * response with fewer word edits to it wins; on a tie, or without a reference, the explicit
 * verdict (`parseVerdict`); null when neither decides.
 */
export function readJudgeReply(stage: JudgedStage, raw: string, first: string, second: string): JudgeReading {
  const verdict = parseVerdict(raw);
  const reference = judgeReference(raw);
  const byVerdict: JudgeReading = { ...verdict, by: verdict.winner === null ? null : "verdict" };
  if (reference === null) return byVerdict;
  const d1 = wordEditDistance(reference, referenceForm(stage, first));
  const d2 = wordEditDistance(reference, referenceForm(stage, second));
  if (d1 === d2) return byVerdict;
  const winner: 1 | 2 = d1 < d2 ? 1 : 2;
  const own =
    verdict.winner === null
      ? "it gave no verdict"
      : verdict.winner === winner
        ? "its verdict agrees"
        : `its verdict said Response ${verdict.winner}`;
  const rationale = `Response ${winner} is closer to the judge's reference (${Math.min(d1, d2)} vs ${Math.max(d1, d2)} word edits; ${own}). ${verdict.rationale}`;
  return { winner, by: "reference", rationale: rationale.length > 300 ? `${rationale.slice(0, 297)}...` : rationale };
}

/** The judge's reasoning: its reply without verdict lines, squeezed to one line and capped. */
function rationaleOf(raw: string): string {
  const text = raw
    .split("\n")
    .filter((line) => !/^\W*verdict\b/i.test(line))
    .join(" ")
    .replace(/\s+/g, " ")
    .trim();
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

/** Self-check of one REASONING candidate; the reply is a single CHECK line (the verifier's prompt, generated). */
export function buildSelfCheckPrompt(
  question: string,
  context: Partial<Record<Stage, string>>,
  reasoning: string,
  withImage = true,
): Prompt {
  return { ...buildVerifyPrompt("REASONING", question, context, reasoning, withImage), assistant_prefix: "" };
}

export type SelfCheck = "correct" | "incorrect" | "unknown";

/** `CHECK: CORRECT` / `CHECK: INCORRECT` (the last wins), or a reply that is just the word; else 'unknown'. */
export function parseSelfCheck(raw: string): SelfCheck {
  const explicit = [...raw.matchAll(/\bcheck\s*[:=-]?\s*(incorrect|correct)\b/gi)].at(-1);
  const word = explicit?.[1] ?? /^\W*(incorrect|correct)\W*$/i.exec(raw.trim())?.[1];
  if (word === undefined) return "unknown";
  return word.toLowerCase() === "incorrect" ? "incorrect" : "correct";
}
