/**
 * Stop sequences for backends that cannot honour them (Workers AI): find the earliest stop in a
 * growing text, and cut the text there (the stop itself is dropped, as OpenAI-style servers do).
 */

export interface StopHit {
  /** Where the stop starts in the text. */
  index: number;
  stop: string;
}

/** The earliest occurrence of any stop at or after `from`, or undefined. */
export function findStop(text: string, stops: readonly string[], from = 0): StopHit | undefined {
  let best: StopHit | undefined;
  for (const stop of stops) {
    if (stop === "") continue;
    const index = text.indexOf(stop, from);
    if (index >= 0 && (!best || index < best.index)) best = { index, stop };
  }
  return best;
}

/** Where to resume searching after `length` characters were searched: a stop may straddle chunks. */
export function searchFrom(length: number, stops: readonly string[]): number {
  const longest = stops.reduce((m, s) => Math.max(m, s.length), 0);
  return Math.max(0, length - longest + 1);
}

/** The text before the first stop, and whether one was found. */
export function cutAtStop(text: string, stops: readonly string[]): { text: string; stopped: boolean } {
  const hit = findStop(text, stops);
  return hit ? { text: text.slice(0, hit.index), stopped: true } : { text, stopped: false };
}
