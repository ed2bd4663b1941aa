/**
 * Tolerant parsing of model output (docs/search.md, Parsing). Never throws: whatever the model wrote is
 * repaired where possible, and every repair is reported so the trace can say what happened.
 * A candidate with nothing usable is marked invalid (ranked last by every scorer), not dropped.
 */
import { STAGES, closeTag, openTag, type Stage } from "./stages";
import type { FinishReason } from "./types";

export interface ParsedStage {
  /** Clean stage content, trimmed, without tags. */
  text: string;
  /** False when nothing usable remains (empty, whitespace, only tags). */
  valid: boolean;
  /** What was fixed, in plain words ("added missing </CAPTION>"). */
  repairs: string[];
  /** Why a candidate is weak or invalid. */
  issues: string[];
}

export interface ParsedAnswer {
  stages: Partial<Record<Stage, string>>;
  /** The answer re-rendered in canonical form. */
  text: string;
  /** True when a non-empty CONCLUSION exists. */
  valid: boolean;
  repairs: string[];
  issues: string[];
  /** Stages that are absent or empty. */
  missing: Stage[];
}

type Token = { kind: "text"; text: string } | { kind: "tag"; stage: Stage; close: boolean; raw: string };

// Tolerates case and stray spaces inside tags: `< /caption >` is still the CAPTION closing tag.
const TAG = /<\s*(\/?)\s*(SUMMARY|CAPTION|REASONING|CONCLUSION)\s*>/gi;

function tokenize(raw: string): Token[] {
  const tokens: Token[] = [];
  let last = 0;
  for (const m of raw.matchAll(TAG)) {
    if (m.index > last) tokens.push({ kind: "text", text: raw.slice(last, m.index) });
    const stage = (m[2] ?? "").toUpperCase() as Stage;
    tokens.push({ kind: "tag", stage, close: m[1] === "/", raw: `<${m[1] ?? ""}${stage}>` });
    last = m.index + m[0].length;
  }
  if (last < raw.length) tokens.push({ kind: "text", text: raw.slice(last) });
  return tokens;
}

const restText = (tokens: Token[], from: number): string =>
  tokens
    .slice(from)
    .map((t) => (t.kind === "text" ? t.text : t.raw))
    .join("");

/**
 * One stage's content. `raw` continues a prefix that already ends with `<STAGE>`.
 * `finish` (when known) tells whether a missing closing tag was simply consumed as the stop
 * sequence (`stop`: no repair) or never written (`length`: the model ran out of tokens).
 */
export function parseStageText(stage: Stage, raw: string, finish?: FinishReason): ParsedStage {
  const tokens = tokenize(raw);
  const repairs = new Set<string>();
  const issues: string[] = [];
  let content = "";
  let closed = false;
  let cut = false;

  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k] as Token;
    if (t.kind === "text") {
      content += t.text;
      continue;
    }
    if (t.stage === stage && !t.close) {
      repairs.add(`removed duplicated ${openTag(stage)}`);
      continue;
    }
    if (t.stage === stage && t.close) {
      closed = true;
      if (restText(tokens, k + 1).trim() !== "") repairs.add(`dropped text after ${closeTag(stage)}`);
      break;
    }
    // Another stage's tag. Before any content it is usually a restated earlier stage: skip to our own tag when there is one.
    const ownOpen = tokens.findIndex((u, j) => j > k && u.kind === "tag" && u.stage === stage && !u.close);
    if (content.trim() === "" && ownOpen > k) {
      repairs.add(`dropped ${t.raw}… block before ${openTag(stage)}`);
      k = ownOpen;
      continue;
    }
    repairs.add(`dropped text from ${t.raw} on (another stage's tag)`);
    cut = true;
    break;
  }

  if (!closed && (cut || finish !== "stop")) {
    repairs.add(`added missing ${closeTag(stage)}${finish === "length" ? " (ran out of tokens)" : ""}`);
  }
  const text = content.trim();
  if (text === "") {
    issues.push(tokens.some((t) => t.kind === "tag") ? "only tags, no content" : "empty output");
    if (finish === "length") issues.push("ran out of tokens before any content");
  }
  return { text, valid: text !== "", repairs: [...repairs], issues };
}

/**
 * A whole four-stage answer (best_of_n). The text may start inside SUMMARY (the prompt's prefix
 * ends with `<SUMMARY>`), so text before a first closing tag belongs to that stage.
 * A text with no tags at all is taken as the CONCLUSION: the answer matters most to the user.
 */
export function parseAnswer(raw: string, finish?: FinishReason): ParsedAnswer {
  const tokens = tokenize(raw);
  const stages: Partial<Record<Stage, string>> = {};
  const repairs = new Set<string>();
  const issues: string[] = [];

  if (!tokens.some((t) => t.kind === "tag")) {
    if (raw.trim() !== "") {
      stages.CONCLUSION = raw.trim();
      repairs.add("no stage tags: whole text taken as the CONCLUSION");
    }
  } else {
    let open: Stage | null = null;
    let buf = "";
    let sawTag = false;
    const finishStage = (stage: Stage): void => {
      if (stages[stage] !== undefined) repairs.add(`dropped repeated ${openTag(stage)} block`);
      else stages[stage] = buf.trim();
      open = null;
      buf = "";
    };
    for (const t of tokens) {
      if (t.kind === "text") {
        if (open !== null || !sawTag) buf += t.text;
        else if (t.text.trim() !== "") repairs.add("dropped text outside tags");
        continue;
      }
      const first = !sawTag;
      sawTag = true;
      if (!t.close) {
        if (open === t.stage) {
          repairs.add(`removed duplicated ${openTag(t.stage)}`);
          continue;
        }
        if (open !== null) {
          repairs.add(`added missing ${closeTag(open)}`);
          finishStage(open);
        } else if (first && buf.trim() !== "") repairs.add("dropped text outside tags");
        open = t.stage;
        buf = "";
        continue;
      }
      if (open === t.stage) finishStage(t.stage);
      else if (open !== null) {
        repairs.add(`added missing ${closeTag(open)}`);
        repairs.add(`removed stray ${t.raw}`);
        finishStage(open);
      } else if (first)
        finishStage(t.stage); // the prefix opened this stage
      else repairs.add(`removed stray ${t.raw}`);
    }
    if (open !== null) {
      const last: Stage = open;
      // With stop `</CONCLUSION>` the closing tag was consumed as the stop sequence: nothing to repair.
      if (!(finish === "stop" && last === "CONCLUSION")) {
        repairs.add(`added missing ${closeTag(last)}${finish === "length" ? " (ran out of tokens)" : ""}`);
      }
      finishStage(last);
    }
  }

  const missing = STAGES.filter((s) => !stages[s]);
  for (const s of missing) issues.push(stages[s] === undefined ? `missing ${openTag(s)}` : `empty ${openTag(s)}`);
  for (const s of missing) delete stages[s];
  return {
    stages,
    text: renderStages(stages),
    valid: Boolean(stages.CONCLUSION),
    repairs: [...repairs],
    issues,
    missing,
  };
}

/** `<SUMMARY>…</SUMMARY>\n<CAPTION>…</CAPTION>…` in canonical order, for the stages present. */
export function renderStages(stages: Partial<Record<Stage, string>>): string {
  return STAGES.filter((s) => stages[s] !== undefined)
    .map((s) => `${openTag(s)}${stages[s] ?? ""}${closeTag(s)}`)
    .join("\n");
}
