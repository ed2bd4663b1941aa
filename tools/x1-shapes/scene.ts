/**
 * X1-Shapes scenes: 2–7 coloured shapes on a 3×3 grid of named cells over a plain background,
 * and the rasterizer that draws them (4×4 supersampled coverage, so edges are anti-aliased).
 */
import { type Rng, pick, randInt, shuffle } from "./prng";

export const IMAGE_SIZE = 72;
export const CELL = IMAGE_SIZE / 3;

export const SHAPES = ["circle", "square", "triangle", "diamond"] as const;
export type Shape = (typeof SHAPES)[number];
export const COLOURS = ["red", "green", "blue", "yellow", "purple"] as const;
export type Colour = (typeof COLOURS)[number];
export const SIZES = ["small", "large"] as const;
export type Size = (typeof SIZES)[number];
export const POSITIONS = [
  "top left",
  "top middle",
  "top right",
  "middle left",
  "center",
  "middle right",
  "bottom left",
  "bottom middle",
  "bottom right",
] as const;

export const CORNERS: Record<Shape, number> = { circle: 0, triangle: 3, square: 4, diamond: 4 };

const BASE_RGB: Record<Colour, [number, number, number]> = {
  red: [215, 40, 40],
  green: [40, 160, 60],
  blue: [45, 85, 215],
  yellow: [235, 195, 35],
  purple: [140, 60, 185],
};

export interface SceneObject {
  shape: Shape;
  colour: Colour;
  size: Size;
  /** Grid cell 0..8 in reading order. */
  cell: number;
  /** Drawing details (jitter), not part of the semantics. */
  dx: number;
  dy: number;
  radius: number;
  rgb: [number, number, number];
}

export interface Scene {
  seed: number;
  background: [number, number, number];
  /** Sorted by cell (reading order). */
  objects: SceneObject[];
}

const clamp = (v: number): number => Math.max(0, Math.min(255, Math.round(v)));

export function drawObject(rng: Rng, cell: number, shape: Shape, colour: Colour, size: Size): SceneObject {
  const base = BASE_RGB[colour];
  const rgb = base.map((c) => clamp(c + randInt(rng, -12, 12))) as [number, number, number];
  const radius = (size === "small" ? 5.5 : 9.5) + (rng() - 0.5);
  const dx = (rng() - 0.5) * 3;
  const dy = (rng() - 0.5) * 3;
  return { shape, colour, size, cell, dx, dy, radius, rgb };
}

export function randomScene(seed: number, rng: Rng): Scene {
  const grey = randInt(rng, 230, 252);
  const background = [0, 1, 2].map(() => clamp(grey + randInt(rng, -4, 3))) as [number, number, number];
  const count = randInt(rng, 2, 7);
  const cells = shuffle(rng, [0, 1, 2, 3, 4, 5, 6, 7, 8])
    .slice(0, count)
    .sort((a, b) => a - b);
  const objects = cells.map((cell) => drawObject(rng, cell, pick(rng, SHAPES), pick(rng, COLOURS), pick(rng, SIZES)));
  return { seed, background, objects };
}

function inside(shape: Shape, x: number, y: number, r: number): boolean {
  switch (shape) {
    case "circle":
      return x * x + y * y <= r * r;
    case "square":
      return Math.abs(x) <= 0.82 * r && Math.abs(y) <= 0.82 * r;
    case "diamond":
      return Math.abs(x) + Math.abs(y) <= 1.12 * r;
    case "triangle": {
      // Apex up: (0,-r), base corners (±0.95r, 0.75r).
      if (y > 0.75 * r) return false;
      const t = (y + r) / (1.75 * r); // 0 at apex, 1 at base
      return t >= 0 && Math.abs(x) <= 0.95 * r * t;
    }
  }
}

/** Row-major RGB bytes, IMAGE_SIZE × IMAGE_SIZE. */
export function renderScene(scene: Scene): Uint8Array {
  const n = IMAGE_SIZE;
  const out = new Uint8Array(n * n * 3);
  for (let i = 0; i < n * n; i++) out.set(scene.background, i * 3);
  const S = 4;
  for (const o of scene.objects) {
    const cx = (o.cell % 3) * CELL + CELL / 2 + o.dx;
    const cy = Math.floor(o.cell / 3) * CELL + CELL / 2 + o.dy;
    const r = o.radius;
    const x0 = Math.max(0, Math.floor(cx - r - 1));
    const x1 = Math.min(n - 1, Math.ceil(cx + r + 1));
    const y0 = Math.max(0, Math.floor(cy - r - 1));
    const y1 = Math.min(n - 1, Math.ceil(cy + r + 1));
    for (let py = y0; py <= y1; py++) {
      for (let px = x0; px <= x1; px++) {
        let hits = 0;
        for (let sy = 0; sy < S; sy++) {
          for (let sx = 0; sx < S; sx++) {
            if (inside(o.shape, px + (sx + 0.5) / S - cx, py + (sy + 0.5) / S - cy, r)) hits++;
          }
        }
        if (hits === 0) continue;
        const a = hits / (S * S);
        const k = (py * n + px) * 3;
        for (let c = 0; c < 3; c++) out[k + c] = clamp((out[k + c] as number) * (1 - a) + o.rgb[c]! * a);
      }
    }
  }
  return out;
}
