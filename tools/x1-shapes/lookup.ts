/**
 * Option-lookup drills: short training texts that teach the one step of a multiple-choice answer
 * the model never learned from the choice items alone — naming the letter that stands before a
 * value in the question's option list.
 *
 * Why: through run 13 the model found the right value of a multiple-choice question and then named
 * the wrong letter (dev, run 13: 30 of the 38 questions whose options are words, and 7 of the 87
 * numeric ones, almost all with the value right and the letter wrong). Each choice item holds that
 * lookup in one token out of about 250, and only 1 training question in 27 has word options; a
 * drill holds it in a text of about 45 tokens. The drill's completion ends the way a choice
 * REASONING does (`… top left. That is option (A).`), so what it teaches is the step the four-stage
 * answer needs. Options are shuffled (numbers too, which choice items list in ascending order), so a
 * drill can only be solved by the lookup itself.
 */
import { type Rng, pick, randInt, shuffle } from "./prng";
import { COLOURS, POSITIONS, SHAPES } from "./scene";
import { LETTERS, optionsText } from "./families";

export interface LookupDrill {
  options: string[];
  /** Index into options of the value asked for. */
  target: number;
  /** The user turn: a request naming the value, then the option list. */
  question: string;
  /** What the model writes: the value, then its letter, in a choice REASONING's closing words. */
  completion: string;
}

const ASK = [
  (v: string) => `Which option is ${v}?`,
  (v: string) => `Which letter goes with ${v}?`,
  (v: string) => `Find ${v} among the options.`,
  (v: string) => `Which option says ${v}?`,
];

function drillOptions(rng: Rng): string[] {
  const r = rng();
  if (r < 0.25) return shuffle(rng, COLOURS).slice(0, 4);
  if (r < 0.4) return shuffle(rng, SHAPES).slice(0, 4);
  if (r < 0.7) return shuffle(rng, POSITIONS).slice(0, 4);
  // Numbers as choice items draw them (near a value, 0 and up), half of them left unsorted.
  const centre = randInt(rng, 0, 20);
  const pool = new Set<number>();
  while (pool.size < 4) pool.add(Math.max(0, centre + randInt(rng, -3, 3)));
  const nums = [...pool];
  return (rng() < 0.5 ? nums.sort((a, b) => a - b) : shuffle(rng, nums)).map(String);
}

export function lookupDrill(rng: Rng): LookupDrill {
  const options = drillOptions(rng);
  const target = randInt(rng, 0, options.length - 1);
  const v = options[target] as string;
  return {
    options,
    target,
    question: `${pick(rng, ASK)(v)} ${optionsText(options)}`,
    completion: `${v}. That is option (${LETTERS[target]}).`,
  };
}
