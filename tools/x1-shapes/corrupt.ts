/**
 * Subtly wrong candidates for judge and self-check items: a scene with one change (a miscounted,
 * recoloured, reshaped, resized, moved, missing or phantom object) solved with the same
 * phrasing, a slipped number or word in the reasoning, a wrong or refusing conclusion, a summary
 * that solves instead of plans.
 */
import { type Rng, pick, randInt } from "./prng";
import { COLOURS, POSITIONS, SHAPES, SIZES, type Scene, drawObject } from "./scene";
import { type Params, type Solved, type Stages, solve } from "./families";
import { renderStages } from "../../src/reasoning/parser";

export type JudgedStage = keyof Stages | "ANSWER";

export interface Wrong {
  text: string;
  /** What is wrong, in the judge's rationale ("does not match the image"). */
  why: string;
  kind: string;
}

export function perturbScene(rng: Rng, scene: Scene): Scene {
  const objects = scene.objects.map((o) => ({ ...o }));
  const empty = [0, 1, 2, 3, 4, 5, 6, 7, 8].filter((c) => !objects.some((o) => o.cell === c));
  const op = randInt(rng, 0, 5);
  const i = randInt(rng, 0, objects.length - 1);
  const o = objects[i]!;
  if (op === 0)
    o.colour = pick(
      rng,
      COLOURS.filter((c) => c !== o.colour),
    );
  else if (op === 1)
    o.shape = pick(
      rng,
      SHAPES.filter((s) => s !== o.shape),
    );
  else if (op === 2) o.size = o.size === "small" ? "large" : "small";
  else if (op === 3 && empty.length > 0) o.cell = pick(rng, empty);
  else if (op === 4 && objects.length > 1) objects.splice(i, 1);
  else if (empty.length > 0)
    objects.push(drawObject(rng, pick(rng, empty), pick(rng, SHAPES), pick(rng, COLOURS), pick(rng, SIZES)));
  else
    o.colour = pick(
      rng,
      COLOURS.filter((c) => c !== o.colour),
    );
  objects.sort((a, b) => a.cell - b.cell);
  return { ...scene, objects };
}

/** A perturbed scene whose solution differs from `right` in `stage`, if one is found. */
function perturbedSolution(
  rng: Rng,
  scene: Scene,
  params: Params,
  right: Solved,
  stage: keyof Stages,
): Solved | undefined {
  for (let t = 0; t < 40; t++) {
    const s = solve(perturbScene(rng, scene), params);
    if (s.stages[stage] !== right.stages[stage] && s.answer !== "none") return s;
  }
  return undefined;
}

const WORD_CLASSES: string[][] = [
  [...COLOURS],
  [...SHAPES],
  [...SIZES],
  [...POSITIONS].sort((a, b) => b.length - a.length),
  ["yes", "no"],
  ["more than", "less than", "equal to"],
];

/** Change one number (±1, ±2) or one attribute word into another of its kind. */
export function slip(rng: Rng, text: string): string | undefined {
  const spots: { start: number; end: number; alts: string[] }[] = [];
  for (const m of text.matchAll(/\d+/g)) {
    const n = Number(m[0]);
    const alts = [n - 2, n - 1, n + 1, n + 2].filter((x) => x >= 0).map(String);
    spots.push({ start: m.index, end: m.index + m[0].length, alts });
  }
  for (const words of WORD_CLASSES) {
    const re = new RegExp(`\\b(${words.join("|")})\\b`, "g");
    for (const m of text.matchAll(re)) {
      // Positions are matched longest first; skip a "top" inside "top left" etc. by the regex order.
      spots.push({ start: m.index, end: m.index + m[0].length, alts: words.filter((w) => w !== m[0]) });
    }
  }
  if (spots.length === 0) return undefined;
  // Prefer later spots (the result), but any step can slip.
  const spot = rng() < 0.5 ? spots.reduce((a, b) => (b.start > a.start ? b : a)) : pick(rng, spots);
  const out = text.slice(0, spot.start) + pick(rng, spot.alts) + text.slice(spot.end);
  return out === text ? undefined : out;
}

function otherAnswer(rng: Rng, right: Solved, params: Params): string {
  const a = right.answer;
  if (params.kind === "choice") {
    const letters = ["A", "B", "C", "D"];
    const idx = params.options.indexOf(a.replace(/^\([A-D]\) /, ""));
    const j = pick(
      rng,
      [0, 1, 2, 3].filter((x) => x !== idx),
    );
    return `(${letters[j]}) ${params.options[j]}`;
  }
  if (/^\d+$/.test(a)) {
    const n = Number(a);
    return String(
      pick(
        rng,
        [n - 2, n - 1, n + 1, n + 2].filter((x) => x >= 0),
      ),
    );
  }
  for (const words of WORD_CLASSES)
    if (words.includes(a))
      return pick(
        rng,
        words.filter((w) => w !== a),
      );
  return "none";
}

const REFUSALS = ["I cannot tell from the image.", "It is impossible to say.", "The answer is unclear."];

export function wrongCandidate(
  rng: Rng,
  scene: Scene,
  params: Params,
  right: Solved,
  stage: JudgedStage,
): Wrong | undefined {
  switch (stage) {
    case "SUMMARY": {
      const r = rng();
      if (r < 0.45) {
        const text =
          rng() < 0.5 ? `The answer is ${right.answer}.` : `${right.stages.SUMMARY} The answer is ${right.answer}.`;
        return { text, why: "gives the answer instead of a plan", kind: "solves" };
      }
      if (r < 0.85) {
        const other = mutateParams(rng, params);
        const text = other ? solve(scene, other).stages.SUMMARY : undefined;
        if (text && text !== right.stages.SUMMARY)
          return { text, why: "plans for the wrong objects", kind: "wrong_target" };
      }
      return {
        text: pick(rng, ["I will answer the question.", "I will look at the image.", "I will think about it."]),
        why: "is too vague",
        kind: "vague",
      };
    }
    case "CAPTION": {
      const s = perturbedSolution(rng, scene, params, right, "CAPTION");
      return s && { text: s.stages.CAPTION, why: "does not match the image", kind: "perception" };
    }
    case "REASONING": {
      if (rng() < 0.4) {
        const s = perturbedSolution(rng, scene, params, right, "REASONING");
        if (s) return { text: s.stages.REASONING, why: "does not follow the caption", kind: "inconsistent" };
      }
      const text = slip(rng, right.stages.REASONING);
      return text === undefined ? undefined : { text, why: "makes a mistake", kind: "slip" };
    }
    case "CONCLUSION": {
      if (rng() < 0.15) return { text: pick(rng, REFUSALS), why: "does not answer", kind: "refusal" };
      const text = otherAnswer(rng, right, params);
      return text === right.answer
        ? undefined
        : { text, why: "does not follow from the reasoning", kind: "wrong_answer" };
    }
    case "ANSWER": {
      const r = rng();
      if (r < 0.5) {
        const s = perturbedSolution(rng, scene, params, right, "CAPTION");
        if (s && s.answer !== right.answer)
          return { text: renderStages(s.stages), why: "has an error", kind: "perception" };
      }
      const stages = { ...right.stages };
      if (r < 0.75) {
        const slipped = slip(rng, stages.REASONING);
        if (slipped === undefined) return undefined;
        stages.REASONING = slipped;
      } else stages.CONCLUSION = otherAnswer(rng, right, params);
      return { text: renderStages(stages), why: "has an error", kind: "slip" };
    }
  }
}

/** The same question about other objects (for a summary that plans the wrong thing). */
function mutateParams(rng: Rng, p: Params): Params | undefined {
  const f = (x: { colour?: (typeof COLOURS)[number]; shape?: (typeof SHAPES)[number] }) => ({
    ...(x.colour
      ? {
          colour: pick(
            rng,
            COLOURS.filter((c) => c !== x.colour),
          ),
        }
      : {}),
    ...(x.shape
      ? {
          shape: pick(
            rng,
            SHAPES.filter((s) => s !== x.shape),
          ),
        }
      : {}),
  });
  switch (p.kind) {
    case "count":
    case "remove":
      return { ...p, filter: f(p.filter) };
    case "corners":
      return p.filter.colour ? { ...p, filter: f(p.filter) } : undefined;
    case "compare":
      return { ...p, a: f(p.a) };
    case "attribute":
      return { ...p, cell: (p.cell + randInt(rng, 1, 8)) % 9 };
    case "where":
      return {
        ...p,
        colour: pick(
          rng,
          COLOURS.filter((c) => c !== p.colour),
        ),
      };
    case "choice": {
      const base = mutateParams(rng, p.base);
      return base && { ...p, base };
    }
  }
}
