/**
 * Token choice: greedy at temperature 0, else temperature + nucleus (top-p) sampling from a
 * per-candidate seeded generator, so a candidate's draws depend on its own seed only.
 * Per-token work stays linear in the vocabulary: only the few tokens that can be in the nucleus
 * are sorted.
 */

import { mulberry32 } from "../../reasoning/seeds";

/** The core's mulberry32 generator (the same one the bracket shuffle uses); a uint32 seed. */
export const seededRandom = (seed: number): (() => number) => mulberry32(seed);

/** log Σ exp(logits): the model's own distribution (temperature 1); logprob(t) = logits[t] − this. */
export function logSumExp(logits: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if ((logits[i] as number) > max) max = logits[i] as number;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] as number) - max);
  return max + Math.log(sum);
}

export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if ((logits[i] as number) > (logits[best] as number)) best = i;
  return best;
}

/** One token: argmax when temperature ≤ 0, else a draw from softmax(logits / T) cut to the top-p mass. */
export function sampleToken(logits: Float32Array, temperature: number, topP: number, random: () => number): number {
  if (temperature <= 0) return argmax(logits);
  const V = logits.length;
  let max = -Infinity;
  for (let i = 0; i < V; i++) if ((logits[i] as number) > max) max = logits[i] as number;
  const probs = new Float64Array(V);
  let sum = 0;
  for (let i = 0; i < V; i++) sum += probs[i] = Math.exp(((logits[i] as number) - max) / temperature);
  const p = Math.min(Math.max(topP, 0), 1);
  if (p >= 1)
    return drawFrom(
      probs,
      Array.from({ length: V }, (_, i) => i),
      sum,
      random,
    );
  const cut = p * sum;
  // The nucleus is the smallest top set with mass ≥ cut. Sort only tokens above a tiny floor; if
  // they do not reach the cut (a very flat distribution), sort everything.
  let pool: number[] = [];
  let poolMass = 0;
  const floor = 1e-4;
  for (let i = 0; i < V; i++) {
    if ((probs[i] as number) >= floor) {
      pool.push(i);
      poolMass += probs[i] as number;
    }
  }
  if (poolMass < cut) pool = Array.from({ length: V }, (_, i) => i);
  pool.sort((a, b) => (probs[b] as number) - (probs[a] as number) || a - b);
  let kept = 0,
    mass = 0;
  while (kept < pool.length) {
    mass += probs[pool[kept] as number] as number;
    kept++;
    if (mass >= cut) break;
  }
  return drawFrom(probs, pool.slice(0, kept), mass, random);
}

function drawFrom(probs: Float64Array, tokens: number[], mass: number, random: () => number): number {
  let r = random() * mass;
  for (const i of tokens) {
    r -= probs[i] as number;
    if (r <= 0) return i;
  }
  return tokens[tokens.length - 1] as number;
}
