/** Scorer dispatch: every scorer ranks the whole candidate set at once (a set-level scorer). */
import { rankBracket } from "../bracket";
import { invalidLast } from "../candidates";
import type { Selection, StageView } from "../stage-view";
import { rankByLogprob } from "./logprob";
import type { ScoreResult } from "./result";
import { rankByVerifier } from "./verifier";
import { rankByVote } from "./vote";

export type { ScoreResult } from "./result";

export function scoreStage(view: StageView): ScoreResult {
  switch (view.settings.scorer) {
    case "none":
      return {
        ranking: invalidLast(
          view.unique.map((c) => c.id),
          view.byId,
        ),
        scores: {},
        issues: [],
      };
    case "logprob":
      return rankByLogprob(view.unique);
    case "vote":
      return rankByVote(view.stage, view.candidates, view.unique);
    case "verifier":
      return rankByVerifier(view);
    case "judge": {
      if (!view.bracket) return { ranking: [], scores: {}, issues: ["bracket not played"] };
      const ranking = rankBracket(view.bracket, (id) => view.byId.get(id)?.mean_logprob);
      return { ranking: invalidLast(ranking, view.byId), scores: {}, issues: [] };
    }
  }
}

/** The select step's decision: the ranking and its top `keep` valid candidates (the best invalid one when none is valid). */
export function selectFrom(view: StageView): Selection {
  const scored = scoreStage(view);
  const issues = [...scored.issues];
  let selected = scored.ranking.filter((id) => view.byId.get(id)?.valid).slice(0, view.settings.keep);
  if (selected.length === 0 && scored.ranking[0] !== undefined) {
    selected = [scored.ranking[0]];
    issues.push("no valid candidate: the best invalid one is carried on");
  }
  const hasScores = Object.keys(scored.scores).length > 0;
  return { ranking: scored.ranking, selected, ...(hasScores ? { scores: scored.scores } : {}), issues };
}
