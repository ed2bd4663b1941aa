/**
 * Question families and their four-stage answers. A family is `choose` (choose.ts: pick a
 * question for a scene: the params, including which phrasing) and `solve` (here: the question,
 * answer and stages for any scene under those params; the single-scene families' solvers are in
 * solvers.ts, built from phrases.ts). Solving a perturbed scene with the same params gives the
 * subtly wrong candidates of the judge items, in exactly the same phrasing.
 */
import type { Colour, Scene, Shape } from "./scene";
import { solveAttribute, solveCompare, solveCorners, solveCount, solveRemove, solveWhere } from "./solvers";

export const FAMILIES = [
  "count_colour",
  "count_shape",
  "count_both",
  "compare",
  "attribute",
  "remove",
  "corners",
  "choice",
] as const;
export type Family = (typeof FAMILIES)[number];

export interface Stages {
  SUMMARY: string;
  CAPTION: string;
  REASONING: string;
  CONCLUSION: string;
}

export interface Solved {
  question: string;
  answer: string;
  stages: Stages;
}

/** Which objects a question is about; an empty filter means every shape. */
export interface Filter {
  colour?: Colour;
  shape?: Shape;
}

export type Params =
  | { kind: "count"; filter: Filter; v: number }
  | { kind: "compare"; a: Filter; b: Filter; rel: "more" | "fewer" | "same"; v: number }
  | { kind: "attribute"; sub: "colour" | "shape" | "size"; cell: number; v: number }
  | { kind: "where"; colour: Colour; shape: Shape; v: number }
  | { kind: "remove"; filter: Filter; v: number }
  | { kind: "corners"; filter: Filter; v: number }
  /** format: how the reasoning reaches its letter (optionWalk); absent, it names the letter. */
  | { kind: "choice"; base: Params; options: string[]; format?: "walk" | "check" };

export const LETTERS = ["A", "B", "C", "D"];

/** A multiple-choice question's option list as it follows the question: `Options: (A) 3 (B) 4 …`. */
export function optionsText(options: readonly string[]): string {
  return `Options: ${options.map((o, i) => `(${LETTERS[i]}) ${o}`).join(" ")}`;
}

/**
 * The option walk (the run 11 experiment, `--choice-format walk`): the reasoning walks the options
 * in order, copying each one from the question and saying whether it is the answer, up to the
 * match. The hope: a tiny decoder copies a list in order more reliably than it looks up which
 * letter stands before a word (with "That is option (B)." straight after the base reasoning, run 10
 * missed 30 of the 38 dev questions whose options are words, 28 of them with the right word behind
 * the wrong letter). After 40 minutes of training it had not learned to copy the options either —
 * it repeated the answer word after each letter — and multiple choice fell on dev; not kept.
 */
function optionWalk(options: string[], answer: string, format: "walk" | "check"): string {
  const idx = options.indexOf(answer);
  const upto = idx >= 0 ? idx + 1 : options.length;
  const steps = options.slice(0, upto).map((o, i) => `(${LETTERS[i]}) ${o} ${i === idx ? "yes" : "no"}`);
  // check (runs 22-23, the shipped model): the value first, so that each yes/no compares the option just
  // copied with a word a few tokens back rather than with the answer somewhere in the reasoning.
  const lead = format === "check" ? `Checking the options for ${answer}` : "Checking the options";
  return `${lead}: ${steps.join(", ")}.`;
}

function solveChoice(scene: Scene, base: Params, options: string[], format?: "walk" | "check"): Solved {
  const b = solve(scene, base);
  const question = `${b.question} ${optionsText(options)}`;
  const idx = options.indexOf(b.answer);
  const letter = idx >= 0 ? `(${LETTERS[idx]})` : "";
  const answer = idx >= 0 ? `${letter} ${b.answer}` : "none";
  const steps = format ? ` ${optionWalk(options, b.answer, format)}` : "";
  return {
    question,
    answer,
    stages: {
      SUMMARY: `${b.stages.SUMMARY} Then I will pick the matching option.`,
      CAPTION: b.stages.CAPTION,
      REASONING:
        idx >= 0
          ? `${b.stages.REASONING}${steps} That is option ${letter}.`
          : `${b.stages.REASONING}${steps} No option matches.`,
      CONCLUSION: answer,
    },
  };
}

export function solve(scene: Scene, p: Params): Solved {
  switch (p.kind) {
    case "count":
      return solveCount(scene, p.filter, p.v);
    case "compare":
      return solveCompare(scene, p.a, p.b, p.rel, p.v);
    case "attribute":
      return solveAttribute(scene, p.sub, p.cell, p.v);
    case "where":
      return solveWhere(scene, p.colour, p.shape, p.v);
    case "remove":
      return solveRemove(scene, p.filter, p.v);
    case "corners":
      return solveCorners(scene, p.filter, p.v);
    case "choice":
      return solveChoice(scene, p.base, p.options, p.format);
  }
}
