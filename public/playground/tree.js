/**
 * The search tree of a run, drawn per stage as nested HTML: candidates → bracket rounds (each
 * judge match with its winner, how it was decided and the judge's rationale) → the selection.
 *
 * The tree is drawn from a trace of the API's shape (src/reasoning/trace.ts). While a run is live,
 * `applyEvent` builds that shape from the SSE events; when the run ends, the run view's own
 * `trace` replaces it. Every node carries data attributes (data-node, data-stage, …) that the
 * browser test counts.
 */
import { fmtInt, fmtMs, h } from "./dom.js";

export const STAGES = ["SUMMARY", "CAPTION", "REASONING", "CONCLUSION"];

const STAGE_ABOUT = {
  SUMMARY: "what will be done to answer",
  CAPTION: "what in the image matters for the question",
  REASONING: "step-by-step reasoning from the caption to the answer",
  CONCLUSION: "the answer",
  ANSWER: "whole answers (best of N), then one selection",
};

const DECIDED_BY = {
  judge: "judged",
  forfeit: "forfeit: the other side is invalid (no judge call)",
  selfcheck: "self-check: the other side was judged incorrect (no judge call)",
  fallback: "fallback: the judge's verdict was unreadable (higher logprob, then fewer repairs, then Response 1)",
};

/** An empty trace for a run that has just been created. */
export function emptyTrace(search) {
  return {
    strategy: search?.strategy ?? "stage_beam",
    scorer: search?.scorer ?? "judge",
    candidates: search?.candidates ?? 0,
    keep: search?.keep ?? 1,
    stages: [],
  };
}

function stageOf(trace, name) {
  let s = trace.stages.find((x) => x.stage === name);
  if (!s) {
    s = {
      stage: name,
      scorer: trace.scorer,
      status: "generating",
      prefixes: [],
      candidates: [],
      selfchecks: [],
      matches: [],
      ranking: [],
      selected: [],
      issues: [],
    };
    trace.stages.push(s);
  }
  return s;
}

/**
 * Fold one SSE event into `live`: {trace, timing: {STAGE: {start, end}}, expected: {STAGE: n}}.
 * Returns the stage it changed, if any.
 */
export function applyEvent(live, event) {
  const d = event.data ?? {};
  const at = Date.parse(d.at);
  switch (event.type) {
    case "stage.started": {
      const s = stageOf(live.trace, d.stage);
      s.scorer = d.scorer ?? s.scorer;
      s.prefixes = Array.from({ length: d.prefixes ?? 1 }, (_, i) => s.prefixes[i] ?? { index: i, parent: null });
      live.expected[d.stage] = (d.prefixes ?? 1) * (d.candidates ?? live.trace.candidates);
      live.timing[d.stage] = { start: at };
      return d.stage;
    }
    case "candidate.generated": {
      const s = stageOf(live.trace, d.stage);
      if (!s.candidates.some((c) => c.id === d.step)) {
        s.candidates.push({
          id: d.step,
          step: d.step,
          prefix: d.prefix ?? 0,
          index: d.index ?? s.candidates.length,
          text: d.text ?? "",
          valid: d.valid !== false,
          repairs: d.repairs ?? [],
          issues: d.issues ?? [],
          stages: d.stages,
          mean_logprob: null,
          usage: {},
        });
        s.candidates.sort((a, b) => a.prefix - b.prefix || a.index - b.index);
      }
      if (s.candidates.length >= (live.expected[d.stage] ?? Infinity)) s.status = "scoring";
      return d.stage;
    }
    case "selfcheck.decided": {
      const s = stageOf(live.trace, d.stage);
      if (!s.selfchecks.some((k) => k.step === d.step))
        s.selfchecks.push({
          step: d.step,
          candidate: d.candidate,
          verdict: d.verdict === "unknown" ? null : d.verdict,
        });
      return d.stage;
    }
    case "judge.decided": {
      const s = stageOf(live.trace, d.stage);
      if (!s.matches.some((m) => m.step === d.step)) {
        s.matches.push({
          step: d.step,
          round: d.round,
          index: d.match,
          pair: [d.first, d.second],
          status: "decided",
          winner: d.winner,
          decided_by: d.decided_by,
          rationale: d.rationale,
        });
        s.matches.sort((a, b) => a.round - b.round || a.index - b.index);
      }
      s.status = "scoring";
      return d.stage;
    }
    case "stage.completed": {
      const s = stageOf(live.trace, d.stage);
      s.status = "completed";
      s.selected = d.selected ?? [];
      if (live.timing[d.stage]) live.timing[d.stage].end = at;
      return d.stage;
    }
    default:
      return undefined;
  }
}

/** Short names: C1…Cn for one prefix, P2·C3 with several. */
export function labeller(stage) {
  const many = (stage.prefixes?.length ?? 1) > 1 || stage.candidates.some((c) => c.prefix > 0);
  return (id) => {
    const m = /\/(?:gen)\/(\d+)\.(\d+)$/.exec(id ?? "");
    if (!m) return id ?? "?";
    const c = `C${Number(m[2]) + 1}`;
    return many ? `P${Number(m[1]) + 1}·${c}` : c;
  };
}

const stageTokens = (s) => {
  let input = 0;
  let output = 0;
  let known = false;
  for (const c of s.candidates) {
    if (typeof c.usage?.input_tokens === "number") {
      input += c.usage.input_tokens;
      known = true;
    }
    if (typeof c.usage?.output_tokens === "number") {
      output += c.usage.output_tokens;
      known = true;
    }
  }
  return known ? { input, output } : undefined;
};

/** The rounds of a knockout bracket, with the byes worked out from who played. */
function rounds(stage) {
  const byRound = new Map();
  for (const m of stage.matches) {
    if (!byRound.has(m.round)) byRound.set(m.round, []);
    byRound.get(m.round).push(m);
  }
  const out = [];
  let alive = stage.bracket ? [...stage.bracket] : undefined;
  for (const r of [...byRound.keys()].sort((a, b) => a - b)) {
    const matches = byRound.get(r);
    const played = new Set(matches.flatMap((m) => m.pair));
    const byes = alive ? alive.filter((id) => !played.has(id)) : [];
    out.push({ round: r, matches, byes });
    if (alive && matches.every((m) => m.winner)) alive = [...byes, ...matches.map((m) => m.winner)];
    else alive = undefined;
  }
  return out;
}

/** Which round each candidate went out in. */
function eliminations(stage) {
  const out = new Map();
  for (const m of stage.matches) {
    if (!m.winner) continue;
    for (const id of m.pair) if (id !== m.winner) out.set(id, m.round);
  }
  return out;
}

function candidateNode(stage, c, ctx) {
  const label = ctx.label(c.id);
  const selected = stage.selected.includes(c.id);
  const check = stage.selfchecks.find((k) => k.candidate === c.id);
  const out = ctx.out.get(c.id);
  const rank = stage.ranking.indexOf(c.id);
  const usage = c.usage ?? {};
  const meta = [];
  if (typeof usage.input_tokens === "number" || typeof usage.output_tokens === "number") {
    meta.push(
      `${fmtInt(usage.input_tokens)} in / ${fmtInt(usage.output_tokens)} out tokens${usage.estimated ? " (est.)" : ""}`,
    );
  }
  if (typeof c.mean_logprob === "number") meta.push(`mean logprob ${c.mean_logprob.toFixed(3)}`);
  const score = stage.scores?.[c.id];
  if (typeof score === "number" && stage.scorer !== "judge") meta.push(`score ${score.toFixed(3)}`);
  if (c.finish_reason && c.finish_reason !== "stop") meta.push(`finished: ${c.finish_reason}`);
  if (rank >= 0) meta.push(`rank ${rank + 1}`);
  if (out !== undefined && !selected) meta.push(`out in round ${out}`);

  const text = c.stages?.CONCLUSION !== undefined && stage.stage === "ANSWER" ? c.stages.CONCLUSION : c.text;
  return h(
    "li",
    {
      class: `node cand${selected ? " is-selected" : ""}${c.valid ? "" : " is-invalid"}${c.merged_into ? " is-merged" : ""}`,
      "data-node": "candidate",
      "data-stage": stage.stage,
      "data-candidate": c.id,
      "data-selected": selected ? "true" : "false",
      "data-valid": c.valid ? "true" : "false",
      "data-merged": c.merged_into ? "true" : "false",
    },
    h(
      "div",
      { class: "node-head" },
      h("span", { class: "tag", text: label }),
      selected ? h("span", { class: "badge badge-win", text: "★ selected" }) : null,
      c.valid
        ? h("span", { class: "badge badge-ok", text: "valid" })
        : h("span", { class: "badge badge-bad", text: "invalid" }),
      c.repairs?.length
        ? h("span", { class: "badge badge-warn", text: `${c.repairs.length} repair${c.repairs.length > 1 ? "s" : ""}` })
        : null,
      check
        ? h("span", {
            class: `badge ${check.verdict === "incorrect" ? "badge-bad" : check.verdict === "correct" ? "badge-ok" : "badge-warn"}`,
            "data-node": "selfcheck",
            "data-verdict": check.verdict ?? "unknown",
            text: `self-check: ${check.verdict ?? "unknown"}`,
          })
        : null,
      c.merged_into ? h("span", { class: "badge", text: `twin of ${ctx.label(c.merged_into)} (merged)` }) : null,
    ),
    h("p", { class: "cand-text", text: text || "(empty)" }),
    stage.stage === "ANSWER" && c.stages
      ? h(
          "details",
          { class: "cand-stages" },
          h("summary", { text: "the four stages" }),
          h(
            "dl",
            {},
            Object.entries(c.stages).map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })]),
          ),
        )
      : null,
    c.repairs?.length || c.issues?.length
      ? h("ul", { class: "notes" }, [
          ...(c.repairs ?? []).map((r) => h("li", { text: `repaired: ${r}` })),
          ...(c.issues ?? []).map((r) => h("li", { text: r })),
        ])
      : null,
    meta.length ? h("p", { class: "meta", text: meta.join(" · ") }) : null,
  );
}

function matchNode(stage, m, ctx) {
  const [a, b] = m.pair;
  const side = (id, n) =>
    h(
      "span",
      { class: `side${m.winner === id ? " won" : m.winner ? " lost" : ""}`, title: `Response ${n}` },
      ctx.label(id),
      m.winner === id ? h("span", { class: "sr-only", text: " (winner)" }) : null,
      m.winner === id ? " ✓" : "",
    );
  return h(
    "li",
    {
      class: `node match${m.decided_by && m.decided_by !== "judge" ? " is-special" : ""}`,
      "data-node": "match",
      "data-stage": stage.stage,
      "data-round": String(m.round),
      "data-match": m.step,
      "data-decided-by": m.decided_by ?? "pending",
      "data-winner": m.winner ?? "",
    },
    h("div", { class: "pair" }, side(a, 1), h("span", { class: "vs", text: "vs" }), side(b, 2)),
    m.winner
      ? h(
          "p",
          { class: "by" },
          h("strong", { text: `${ctx.label(m.winner)} wins` }),
          ` — ${DECIDED_BY[m.decided_by] ?? m.decided_by ?? "decided"}`,
        )
      : h("p", { class: "by", text: ctx.ended ? "not decided" : "judging…" }),
    m.rationale ? h("blockquote", { class: "rationale", text: m.rationale }) : null,
  );
}

function stageMeta(stage, ctx) {
  const parts = [];
  const n = stage.candidates.length;
  const expected = ctx.expected ?? n;
  parts.push(`${n}${expected > n ? ` of ${expected}` : ""} candidate${expected === 1 ? "" : "s"}`);
  if (stage.scorer === "judge" && (stage.matches.length || stage.status === "completed"))
    parts.push(`${stage.matches.length} match${stage.matches.length === 1 ? "" : "es"}`);
  if (stage.selfchecks.length)
    parts.push(`${stage.selfchecks.length} self-check${stage.selfchecks.length === 1 ? "" : "s"}`);
  const tokens = stageTokens(stage);
  if (tokens) parts.push(`${fmtInt(tokens.input + tokens.output)} generation tokens`);
  if (ctx.timing?.start && ctx.timing?.end) parts.push(fmtMs(ctx.timing.end - ctx.timing.start));
  return parts.join(" · ");
}

const STATUS_WORDS = { waiting: "waiting", generating: "generating…", scoring: "selecting…", completed: "chosen" };

/** A stage not started yet: a placeholder so the four stages are visible from the start. */
export function waitingStage(name, number, ended) {
  const word = ended ? `not reached (run ${ended})` : "waiting";
  return h(
    "section",
    {
      class: "stage is-waiting",
      "data-node": "stage",
      "data-stage": name,
      "data-status": "waiting",
      "aria-label": `${name}: ${word}`,
    },
    h(
      "header",
      { class: "stage-head" },
      h("h3", {}, h("span", { class: "num", text: String(number) }), name),
      h("span", { class: "status", text: word }),
    ),
    h("p", { class: "about", text: STAGE_ABOUT[name] ?? "" }),
  );
}

/** A stage taken as given (a fork's parent's, or a cached run's source's): its text, no tree. */
export function givenStage(name, number, text, source) {
  const word = `given: from ${source}`;
  return h(
    "section",
    {
      class: "stage is-given",
      "data-node": "stage",
      "data-stage": name,
      "data-status": "given",
      "aria-label": `${name}: ${word}`,
    },
    h(
      "header",
      { class: "stage-head" },
      h("h3", {}, h("span", { class: "num", text: String(number) }), name),
      h("span", { class: "status", text: word }),
    ),
    h("p", { class: "chosen", text }),
  );
}

/** One stage: header, the chosen text, and its tree. */
export function renderStage(stage, { number, timing, expected, keep, ended }) {
  const label = labeller(stage);
  const ctx = { label, out: eliminations(stage), timing, expected, ended };
  const status = stage.status ?? "generating";
  // A run that ended mid-stage leaves it unfinished: say so rather than "generating…".
  const statusWord = ended && status !== "completed" ? `stopped (run ${ended})` : (STATUS_WORDS[status] ?? status);
  const chosen = stage.selected.map((id) => stage.candidates.find((c) => c.id === id)).filter(Boolean);
  const pending = Math.max(0, (expected ?? 0) - stage.candidates.length);
  const headingId = `stage-${stage.stage}`;

  const candidatesCol = h(
    "div",
    { class: "col col-cands" },
    h("h4", { text: "Candidates" }),
    h(
      "ol",
      { class: "nodes" },
      stage.candidates.map((c) => candidateNode(stage, c, ctx)),
      Array.from({ length: ended ? 0 : pending }, () =>
        h("li", { class: "node cand is-pending", "data-node": "candidate-pending", text: "generating…" }),
      ),
    ),
  );

  const cols = [candidatesCol];
  if (stage.scorer === "judge" && stage.candidates.length > 1) {
    for (const r of rounds(stage)) {
      cols.push(
        h(
          "div",
          { class: "col col-round", "data-round": String(r.round) },
          h("h4", { text: `Round ${r.round}` }),
          h(
            "ol",
            { class: "nodes" },
            r.matches.map((m) => matchNode(stage, m, ctx)),
            r.byes.map((id) =>
              h("li", { class: "node bye", "data-node": "bye", text: `${label(id)} — bye, goes through` }),
            ),
          ),
        ),
      );
    }
  }
  if (status === "completed") {
    const others = stage.ranking.filter((id) => !stage.selected.includes(id));
    cols.push(
      h(
        "div",
        { class: "col col-result" },
        h("h4", {
          text: keep > 1 && stage.stage !== "CONCLUSION" ? `Kept (top ${stage.selected.length})` : "Selected",
        }),
        h(
          "ol",
          { class: "nodes" },
          chosen.map((c) =>
            h(
              "li",
              { class: "node winner", "data-node": "winner", "data-candidate": c.id },
              h("span", { class: "tag", text: label(c.id) }),
              " ★",
            ),
          ),
        ),
        stage.ranking.length > 1
          ? h("p", { class: "meta", text: `ranking: ${[...stage.selected, ...others].map(label).join(" › ")}` })
          : null,
        stage.scorer === "none"
          ? h("p", { class: "meta", text: "the only candidate" })
          : stage.scorer !== "judge"
            ? h("p", { class: "meta", text: `by ${stage.scorer}` })
            : null,
        stage.issues?.length
          ? h(
              "ul",
              { class: "notes" },
              stage.issues.map((t) => h("li", { text: t })),
            )
          : null,
      ),
    );
  }

  return h(
    "section",
    {
      class: `stage is-${status}${ended && status !== "completed" ? " is-stopped" : ""}`,
      "data-node": "stage",
      "data-stage": stage.stage,
      "data-status": status,
      "aria-labelledby": headingId,
    },
    h(
      "header",
      { class: "stage-head" },
      h("h3", { id: headingId }, h("span", { class: "num", text: String(number) }), stage.stage),
      h("span", { class: "badge", text: stage.scorer === "none" ? "single candidate" : `scorer: ${stage.scorer}` }),
      h("span", { class: "status", text: statusWord }),
    ),
    h(
      "p",
      { class: "about" },
      STAGE_ABOUT[stage.stage] ?? "",
      h("span", { class: "meta", text: ` — ${stageMeta(stage, ctx)}` }),
    ),
    chosen.length
      ? h(
          "p",
          { class: "chosen" },
          h("span", { class: "chosen-label", text: `${chosen.map((c) => label(c.id)).join(", ")}: ` }),
          chosen[0].stages?.CONCLUSION ?? chosen[0].text,
        )
      : null,
    h("div", { class: "tree", role: "group", "aria-label": `${stage.stage} search tree` }, cols),
  );
}
