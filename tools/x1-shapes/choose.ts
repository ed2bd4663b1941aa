/**
 * The `choose` half of a question family (families.ts has the `solve` half): pick the params of a
 * question for a scene — which colour, shape or cell, which phrasing, which options — favouring
 * things present in the scene and, for yes/no questions, balancing the answers.
 */
import { type Rng, pick, randInt, shuffle } from "./prng";
import { COLOURS, POSITIONS, SHAPES, type Colour, type Scene, type Shape } from "./scene";
import { type Family, type Filter, type Params, solve } from "./families";
import { matches } from "./phrases";

/** Mostly a colour or shape present in the scene (so counts are rarely 0), sometimes any. */
function someColour(rng: Rng, scene: Scene): Colour {
  return rng() < 0.75 ? pick(rng, scene.objects).colour : pick(rng, COLOURS);
}
function someShape(rng: Rng, scene: Scene): Shape {
  return rng() < 0.75 ? pick(rng, scene.objects).shape : pick(rng, SHAPES);
}
function someBoth(rng: Rng, scene: Scene): Filter {
  if (rng() < 0.7) {
    const o = pick(rng, scene.objects);
    return { colour: o.colour, shape: o.shape };
  }
  return { colour: pick(rng, COLOURS), shape: pick(rng, SHAPES) };
}

function chooseCompare(rng: Rng, scene: Scene): Params {
  const wantYes = rng() < 0.5;
  let last: Params | undefined;
  for (let t = 0; t < 30; t++) {
    const byColour = rng() < 0.5;
    const [x, y] = byColour ? shuffle(rng, COLOURS) : shuffle(rng, SHAPES);
    const a: Filter = byColour ? { colour: x as Colour } : { shape: x as Shape };
    const b: Filter = byColour ? { colour: y as Colour } : { shape: y as Shape };
    const rel = pick(rng, ["more", "fewer", "same"] as const);
    const p: Params = { kind: "compare", a, b, rel, v: randInt(rng, 0, 7) };
    const na = scene.objects.filter((o) => matches(o, a)).length;
    const nb = scene.objects.filter((o) => matches(o, b)).length;
    if (na + nb === 0) continue;
    last = p;
    if ((solve(scene, p).answer === "yes") === wantYes) return p;
  }
  return (
    last ?? {
      kind: "compare",
      a: { colour: scene.objects[0]!.colour },
      b: { colour: scene.objects[1]!.colour },
      rel: "more",
      v: 0,
    }
  );
}

function chooseAttribute(rng: Rng, scene: Scene, allowSize = true): Params {
  const r = rng();
  const o = pick(rng, scene.objects);
  if (r < 0.3) return { kind: "attribute", sub: "colour", cell: o.cell, v: randInt(rng, 0, 15) };
  if (r < 0.6) return { kind: "attribute", sub: "shape", cell: o.cell, v: randInt(rng, 0, 15) };
  if (r < 0.75 && allowSize) return { kind: "attribute", sub: "size", cell: o.cell, v: randInt(rng, 0, 15) };
  const unique = scene.objects.filter(
    (u) => scene.objects.filter((w) => w.colour === u.colour && w.shape === u.shape).length === 1,
  );
  if (unique.length === 0) return { kind: "attribute", sub: "colour", cell: o.cell, v: randInt(rng, 0, 15) };
  const u = pick(rng, unique);
  return { kind: "where", colour: u.colour, shape: u.shape, v: randInt(rng, 0, 11) };
}

function numericOptions(rng: Rng, answer: number): string[] {
  const pool = [-2, -1, 1, 2, 3].map((d) => answer + d).filter((n) => n >= 0);
  const opts = [answer, ...shuffle(rng, pool).slice(0, 3)].sort((a, b) => a - b);
  return opts.map(String);
}

function wordOptions(rng: Rng, answer: string, universe: readonly string[]): string[] {
  const others = shuffle(
    rng,
    universe.filter((w) => w !== answer),
  ).slice(0, 3);
  return shuffle(rng, [answer, ...others]);
}

function chooseChoice(rng: Rng, scene: Scene): Params {
  const r = rng();
  let base: Params;
  if (r < 0.35) {
    const fr = rng();
    const filter =
      fr < 0.34
        ? { colour: someColour(rng, scene) }
        : fr < 0.67
          ? { shape: someShape(rng, scene) }
          : someBoth(rng, scene);
    base = { kind: "count", filter, v: randInt(rng, 0, 15) };
  } else if (r < 0.55)
    base = {
      kind: "remove",
      filter: rng() < 0.5 ? { colour: someColour(rng, scene) } : { shape: someShape(rng, scene) },
      v: randInt(rng, 0, 11),
    };
  else if (r < 0.7)
    base = { kind: "corners", filter: rng() < 0.5 ? {} : { colour: someColour(rng, scene) }, v: randInt(rng, 0, 11) };
  else base = chooseAttribute(rng, scene, false);
  const answer = solve(scene, base).answer;
  let options: string[];
  if (base.kind === "attribute") options = wordOptions(rng, answer, base.sub === "colour" ? COLOURS : SHAPES);
  else if (base.kind === "where") options = wordOptions(rng, answer, POSITIONS);
  else options = numericOptions(rng, Number(answer));
  return { kind: "choice", base, options };
}

export function choose(family: Family, rng: Rng, scene: Scene): Params {
  switch (family) {
    case "count_colour":
      return { kind: "count", filter: { colour: someColour(rng, scene) }, v: randInt(rng, 0, 15) };
    case "count_shape":
      return { kind: "count", filter: { shape: someShape(rng, scene) }, v: randInt(rng, 0, 15) };
    case "count_both":
      return { kind: "count", filter: someBoth(rng, scene), v: randInt(rng, 0, 15) };
    case "compare":
      return chooseCompare(rng, scene);
    case "attribute":
      return chooseAttribute(rng, scene);
    case "remove": {
      const r = rng();
      const filter =
        r < 0.45
          ? { colour: someColour(rng, scene) }
          : r < 0.9
            ? { shape: someShape(rng, scene) }
            : someBoth(rng, scene);
      return { kind: "remove", filter, v: randInt(rng, 0, 11) };
    }
    case "corners":
      return { kind: "corners", filter: rng() < 0.5 ? {} : { colour: someColour(rng, scene) }, v: randInt(rng, 0, 11) };
    case "choice":
      return chooseChoice(rng, scene);
  }
}
