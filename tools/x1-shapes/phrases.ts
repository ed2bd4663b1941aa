/**
 * The phrases every family's stages are built from: a filter's group name, an object's
 * description, a phrasing variant chosen by index, and small English helpers.
 */
import { POSITIONS, type Scene, type SceneObject, type Shape } from "./scene";
import type { Filter } from "./families";

export const plural = (s: Shape): string => `${s}s`;
export const pos = (cell: number): string => POSITIONS[cell] as string;

/** "red shapes", "triangles", "red triangles", "shapes". */
export function group(f: Filter, n = 2): string {
  const noun = f.shape ? (n === 1 ? f.shape : plural(f.shape)) : n === 1 ? "shape" : "shapes";
  return f.colour ? `${f.colour} ${noun}` : noun;
}

export const matches = (o: SceneObject, f: Filter): boolean =>
  (f.colour === undefined || o.colour === f.colour) && (f.shape === undefined || o.shape === f.shape);

export const desc = (o: SceneObject): string => `${o.size} ${o.colour} ${o.shape} at ${pos(o.cell)}`;
export const bare = (o: SceneObject): string => `${o.size} ${o.colour} ${o.shape}`;
export const list = (objs: SceneObject[]): string => objs.map(desc).join(", ");
export const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
export const isAre = (n: number): string => (n === 1 ? "is" : "are");
export const v = <T>(variants: readonly T[], k: number): T => variants[k % variants.length] as T;

export function objectsAt(scene: Scene, cell: number): SceneObject | undefined {
  return scene.objects.find((o) => o.cell === cell);
}
