/**
 * Deterministic seeds. A step's sampling seed depends only on the run seed and the step id, so a
 * step that runs twice (after a crash, on another isolate) asks the backend for the same sample,
 * and the schedule (concurrent or sequential, batched or not) cannot change any result.
 */

const utf8 = new TextEncoder();

/** FNV-1a over bytes: simple, well known, good enough dispersion before the finalizer below. */
function fnv1a32(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** MurmurHash3's fmix32: FNV-1a alone leaves low bits weakly mixed for similar inputs. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The uint32 seed of one step: hash of `${runSeed}:${stepId}`. */
export function stepSeed(runSeed: number, stepId: string): number {
  return fmix32(fnv1a32(utf8.encode(`${runSeed}:${stepId}`)));
}

/** mulberry32: a tiny 32-bit PRNG with a good spread; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return function next(): number {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle driven by mulberry32; returns a new array, the input is untouched. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const random = mulberry32(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}
