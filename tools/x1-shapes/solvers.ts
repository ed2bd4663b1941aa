/**
 * The solvers of the single-scene families: for a scene and a family's params, the question, the
 * answer and the four stages, in the phrasing variant the params name. Multiple choice wraps one
 * of these (families.ts).
 */
import { CORNERS, type Colour, type Scene, type Shape } from "./scene";
import type { Filter, Solved } from "./families";
import { bare, cap, desc, group, isAre, list, matches, objectsAt, plural, pos, v } from "./phrases";

/** A question whose object is not in the scene: the answer is "none". */
function answeredNone(question: string, SUMMARY: string, CAPTION: string, REASONING: string): Solved {
  return { question, answer: "none", stages: { SUMMARY, CAPTION, REASONING, CONCLUSION: "none" } };
}

export function solveCount(scene: Scene, f: Filter, k: number): Solved {
  const g = group(f);
  const g1 = group(f, 1);
  const found = scene.objects.filter((o) => matches(o, f));
  const n = found.length;
  const question = v(
    [`How many ${g} are there?`, `How many ${g} are in the image?`, `Count the ${g}.`, `How many ${g} can you see?`],
    k,
  );
  const SUMMARY = v(
    [
      `I will find all the ${g} in the image and count them.`,
      `I will look for each ${g1} and count how many there are.`,
      `The plan: locate every ${g1}, then count them one by one.`,
    ],
    k >> 2,
  );
  let CAPTION: string;
  let REASONING: string;
  if (n === 0) {
    CAPTION = `There are ${scene.objects.length} shapes and none of them is a ${g1}.`;
    REASONING = `No ${g1} appears in the image, so the count is 0.`;
  } else if (n === 1) {
    CAPTION = `There is one ${g1}: ${list(found)}.`;
    REASONING = `Counting them: ${pos(found[0]!.cell)} 1. So there is 1 ${g1}.`;
  } else {
    CAPTION = v([`The ${g} are: ${list(found)}.`, `I can see these ${g}: ${list(found)}.`], k >> 1);
    const steps = found.map((o, i) => `${pos(o.cell)} ${i + 1}`).join(", ");
    REASONING = `Counting them: ${steps}. So there are ${n} ${g}.`;
  }
  return { question, answer: String(n), stages: { SUMMARY, CAPTION, REASONING, CONCLUSION: String(n) } };
}

export function solveCompare(scene: Scene, a: Filter, b: Filter, rel: "more" | "fewer" | "same", k: number): Solved {
  const A = group(a);
  const B = group(b);
  const fa = scene.objects.filter((o) => matches(o, a));
  const fb = scene.objects.filter((o) => matches(o, b));
  const na = fa.length;
  const nb = fb.length;
  const question = {
    more: v([`Are there more ${A} than ${B}?`, `Is the number of ${A} greater than the number of ${B}?`], k),
    fewer: v([`Are there fewer ${A} than ${B}?`, `Are there less ${A} than ${B}?`], k),
    same: v([`Are there as many ${A} as ${B}?`, `Is the number of ${A} equal to the number of ${B}?`], k),
  }[rel];
  const SUMMARY = v(
    [
      `I will count the ${A} and the ${B}, then compare the two numbers.`,
      `First I will count the ${A}, then the ${B}, and compare them.`,
    ],
    k >> 1,
  );
  const CAPTION = `${cap(A)}: ${fa.length ? list(fa) : "none"}. ${cap(B)}: ${fb.length ? list(fb) : "none"}.`;
  const cmp = na > nb ? "more than" : na < nb ? "less than" : "equal to";
  const yes = rel === "more" ? na > nb : rel === "fewer" ? na < nb : na === nb;
  const ans = yes ? "yes" : "no";
  const REASONING = `There ${isAre(na)} ${na} ${group(a, na)} and ${nb} ${group(b, nb)}. ${na} is ${cmp} ${nb}, so the answer is ${ans}.`;
  return { question, answer: ans, stages: { SUMMARY, CAPTION, REASONING, CONCLUSION: ans } };
}

export function solveAttribute(scene: Scene, sub: "colour" | "shape" | "size", cell: number, k: number): Solved {
  const p = pos(cell);
  const o = objectsAt(scene, cell);
  const colourWord = k % 2 === 0 ? "colour" : "color";
  const question = {
    colour: v(
      [
        `What ${colourWord} is the shape at the ${p}?`,
        `What ${colourWord} is the object at the ${p}?`,
        `Which ${colourWord} does the shape at the ${p} have?`,
      ],
      k >> 1,
    ),
    shape: v(
      [`What shape is at the ${p}?`, `Which shape is at the ${p}?`, `What kind of shape is at the ${p}?`],
      k >> 1,
    ),
    size: v([`Is the shape at the ${p} large or small?`, `What size is the shape at the ${p}?`], k >> 1),
  }[sub];
  const what = sub === "colour" ? "colour" : sub;
  const SUMMARY = v(
    [
      `I will look at the ${p} of the image and name the ${what} of the shape there.`,
      `I will find the shape at the ${p} and identify its ${what}.`,
    ],
    k >> 3,
  );
  if (!o)
    return answeredNone(
      question,
      SUMMARY,
      `There is no shape at the ${p}.`,
      `Nothing is at the ${p}, so there is no ${what} to name.`,
    );
  const CAPTION = `At the ${p} there is a ${bare(o)}.`;
  const answer = o[sub];
  const REASONING = {
    colour: `The shape at the ${p} is a ${o.size} ${o.shape} and its colour is ${o.colour}.`,
    shape: `The object at the ${p} is ${o.colour} and its shape is a ${o.shape}.`,
    size: `The ${o.colour} ${o.shape} at the ${p} is ${o.size}.`,
  }[sub];
  return { question, answer, stages: { SUMMARY, CAPTION, REASONING, CONCLUSION: answer } };
}

const ROWS = ["top", "middle", "bottom"];
const COLS = ["left", "middle", "right"];

export function solveWhere(scene: Scene, colour: Colour, shape: Shape, k: number): Solved {
  const name = `${colour} ${shape}`;
  const question = v(
    [`Where is the ${name}?`, `In which position is the ${name}?`, `Where is the ${name} located?`],
    k,
  );
  const SUMMARY = v(
    [
      `I will find the ${name} and name its position on the 3 by 3 grid.`,
      `I will locate the ${name} and read off its row and column.`,
    ],
    k >> 2,
  );
  const found = scene.objects.filter((o) => o.colour === colour && o.shape === shape);
  const o = found[0];
  if (!o)
    return answeredNone(
      question,
      SUMMARY,
      `There is no ${name} in the image.`,
      `No ${name} appears, so it has no position.`,
    );
  const CAPTION =
    found.length === 1
      ? `There is one ${name}: ${desc(o)}.`
      : `The ${plural(shape)} that are ${colour}: ${list(found)}.`;
  const p = pos(o.cell);
  const REASONING = `The ${name} is in the ${ROWS[Math.floor(o.cell / 3)]} row and the ${COLS[o.cell % 3]} column, which is the ${p}.`;
  return { question, answer: p, stages: { SUMMARY, CAPTION, REASONING, CONCLUSION: p } };
}

export function solveRemove(scene: Scene, f: Filter, k: number): Solved {
  const g = group(f);
  const g1 = group(f, 1);
  const total = scene.objects.length;
  const found = scene.objects.filter((o) => matches(o, f));
  const n = found.length;
  const left = total - n;
  const question = v(
    [
      `If all the ${g} are removed, how many shapes are left?`,
      `Remove every ${g1}. How many shapes remain?`,
      `How many shapes are left after taking away the ${g}?`,
    ],
    k,
  );
  const SUMMARY = v(
    [
      `I will count all the shapes, count the ${g}, and subtract.`,
      `I will find the total number of shapes and take away the ${g}.`,
    ],
    k >> 2,
  );
  const CAPTION = `There are ${total} shapes in total. ${cap(g)}: ${n ? list(found) : "none"}.`;
  const REASONING = `There are ${total} shapes and ${n} of them ${n === 1 ? `is a ${g1}` : `are ${g}`}. ${total} - ${n} = ${left}, so ${left} ${left === 1 ? "shape is" : "shapes are"} left.`;
  return { question, answer: String(left), stages: { SUMMARY, CAPTION, REASONING, CONCLUSION: String(left) } };
}

export function solveCorners(scene: Scene, f: Filter, k: number): Solved {
  const g = group(f);
  const found = scene.objects.filter((o) => matches(o, f));
  const all = f.colour === undefined && f.shape === undefined;
  const question = all
    ? v(
        [
          `How many corners do all the shapes have in total?`,
          `What is the total number of corners of all the shapes?`,
          `Add up the corners of every shape. What is the total?`,
        ],
        k,
      )
    : v([`How many corners do the ${g} have in total?`, `What is the total number of corners of the ${g}?`], k);
  const SUMMARY = v(
    [
      `I will list the ${g}, give each its number of corners and add them up.`,
      `I will find the ${g} and sum their corners: a triangle has 3, a square and a diamond 4, a circle 0.`,
    ],
    k >> 2,
  );
  let CAPTION: string;
  let REASONING: string;
  let total = 0;
  if (found.length === 0) {
    CAPTION = `There are no ${g} in the image.`;
    REASONING = `With no ${g} the total is 0.`;
  } else {
    CAPTION = all ? `There are ${found.length} shapes: ${list(found)}.` : `The ${g}: ${list(found)}.`;
    if (found.length === 1) {
      const o = found[0]!;
      total = CORNERS[o.shape];
      REASONING = `A ${o.shape} has ${total} corners, so the total is ${total}.`;
    } else {
      const steps = found.map((o) => {
        total += CORNERS[o.shape];
        return `${o.shape} ${CORNERS[o.shape]} makes ${total}`;
      });
      REASONING = `Adding corners: ${steps.join(", ")}. The total is ${total}.`;
    }
  }
  return { question, answer: String(total), stages: { SUMMARY, CAPTION, REASONING, CONCLUSION: String(total) } };
}
