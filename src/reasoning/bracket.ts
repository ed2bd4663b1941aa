/**
 * The knockout bracket of the judge scorer. Entrants come from a seeded shuffle (the reference
 * picks pairs at random; a seed makes it replayable). Each round pairs entrants in order; an odd
 * one out gets a bye and is placed first in the next round, so it meets a winner there instead
 * of sitting out twice. M entrants → exactly M−1 matches in ⌈log₂M⌉ rounds (M=5: 2+1+1).
 * All matches of a round are independent, which is what lets them run concurrently.
 */
import { seededShuffle } from "./seeds";

export interface BracketMatch {
  /** 1-based round. */
  round: number;
  /** 0-based position in its round. */
  index: number;
  /** Response 1 in the judge prompt. */
  first: string;
  /** Response 2 in the judge prompt. */
  second: string;
  /** Undefined until decided. */
  winner?: string;
}

export interface BracketRound {
  round: number;
  matches: BracketMatch[];
  bye?: string;
}

export interface BracketState {
  /** Seed order: the shuffled entrants. */
  entrants: string[];
  /** Rounds as far as they are known (the last one may be partly decided). */
  rounds: BracketRound[];
  /** Undecided matches of the earliest undecided round: the runnable ones. */
  pending: BracketMatch[];
  champion?: string;
}

/** Seed order of the bracket: a deterministic shuffle of the entrant ids. */
export function seedBracket(ids: readonly string[], seed: number): string[] {
  return seededShuffle(ids, seed);
}

/** Pairs one round in order; with an odd count the last entrant gets the bye. */
export function pairRound(round: number, entrants: readonly string[]): BracketRound {
  const matches: BracketMatch[] = [];
  for (let i = 0; i + 1 < entrants.length; i += 2) {
    matches.push({ round, index: matches.length, first: entrants[i] as string, second: entrants[i + 1] as string });
  }
  const bye = entrants.length % 2 === 1 ? entrants[entrants.length - 1] : undefined;
  return bye === undefined ? { round, matches } : { round, matches, bye };
}

/**
 * Plays the bracket as far as `decide` knows the results (it returns the winner's id, or
 * undefined while a match is undecided). A round starts only when the previous one is complete.
 */
export function playBracket(
  entrants: readonly string[],
  decide: (match: BracketMatch) => string | undefined,
): BracketState {
  const rounds: BracketRound[] = [];
  let current = [...entrants];
  for (let round = 1; current.length > 1; round++) {
    const paired = pairRound(round, current);
    for (const match of paired.matches) {
      const winner = decide(match);
      if (winner !== undefined) match.winner = winner;
    }
    rounds.push(paired);
    const pending = paired.matches.filter((m) => m.winner === undefined);
    if (pending.length > 0) return { entrants: [...entrants], rounds, pending };
    const winners = paired.matches.map((m) => m.winner as string);
    current = paired.bye === undefined ? winners : [paired.bye, ...winners];
  }
  const champion = current[0];
  return champion === undefined
    ? { entrants: [...entrants], rounds, pending: [] }
    : { entrants: [...entrants], rounds, pending: [], champion };
}

/** Matches per round for M entrants, e.g. 5 → [2, 1, 1]. */
export function bracketShape(entrantCount: number): number[] {
  const shape: number[] = [];
  for (let m = entrantCount; m > 1; m = Math.ceil(m / 2)) shape.push(Math.floor(m / 2));
  return shape;
}

/**
 * Ranking from a bracket: by the round in which a candidate was eliminated (champion first, the
 * final's loser next…); ties by mean logprob when known (known before unknown), then seed order.
 */
export function rankBracket(state: BracketState, meanLogprob: (id: string) => number | null | undefined): string[] {
  const survivedUntil = new Map<string, number>();
  for (const id of state.entrants) survivedUntil.set(id, Number.MAX_SAFE_INTEGER);
  for (const round of state.rounds) {
    for (const m of round.matches) {
      if (m.winner === undefined) continue;
      survivedUntil.set(m.winner === m.first ? m.second : m.first, round.round);
    }
  }
  const seedOrder = new Map(state.entrants.map((id, i) => [id, i]));
  return [...state.entrants].sort((a, b) => {
    const byRound = (survivedUntil.get(b) ?? 0) - (survivedUntil.get(a) ?? 0);
    if (byRound !== 0) return byRound;
    const byLogprob = compareLogprobs(meanLogprob(a), meanLogprob(b));
    if (byLogprob !== 0) return byLogprob;
    return (seedOrder.get(a) ?? 0) - (seedOrder.get(b) ?? 0);
  });
}

/** Sort comparator: higher logprob first, known before unknown, equal otherwise. */
export function compareLogprobs(a: number | null | undefined, b: number | null | undefined): number {
  const knownA = typeof a === "number" && Number.isFinite(a);
  const knownB = typeof b === "number" && Number.isFinite(b);
  if (knownA && knownB) return (b as number) - (a as number);
  if (knownA !== knownB) return knownA ? -1 : 1;
  return 0;
}
