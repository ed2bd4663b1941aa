/**
 * Zod issues rewritten for API callers: every message starts with the field's dotted path and
 * says what is wrong in plain words, with the limit where there is one. Zod's own defaults
 * ("Invalid input") do not name the field, and its path is an array.
 */
import type { z, ZodError } from "zod";

type RawIssue = z.core.$ZodRawIssue;

export function dottedPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return v.length > 40 ? `a string` : `"${v}"`;
  if (typeof v === "number") return Number.isInteger(v) ? `${v}` : `the number ${v}`;
  return typeof v;
}

const article = (expected: string): string => (/^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`);

/** The shape keys of the strict object that raised an `unrecognized_keys` issue, when known. */
function allowedKeys(iss: RawIssue): string[] | undefined {
  const def = (iss.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def;
  return def?.shape ? Object.keys(def.shape) : undefined;
}

/**
 * Per-parse error map (`schema.parse(x, { error: apiErrorMap })`). Checks that carry their own
 * message (the range checks in schemas.ts) keep it: zod prefers a schema's message to this map.
 */
export const apiErrorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case "invalid_type":
      if (iss.input === undefined) return `is required (${article(iss.expected)})`;
      return `expected ${article(iss.expected)}, received ${describeValue(iss.input)}`;
    case "unrecognized_keys": {
      const keys = iss.keys.map((k) => `"${k}"`).join(", ");
      const allowed = allowedKeys(iss);
      return `unknown field${iss.keys.length > 1 ? "s" : ""} ${keys}${allowed ? ` (allowed: ${allowed.join(", ")})` : ""}`;
    }
    case "invalid_value":
      return `must be one of ${iss.values.map((v) => JSON.stringify(v)).join(", ")} (received ${describeValue(iss.input)})`;
    case "too_big":
      return iss.origin === "string" ? `must be at most ${iss.maximum} characters` : `must be at most ${iss.maximum}`;
    case "too_small":
      return iss.origin === "string" ? `must be at least ${iss.minimum} characters` : `must be at least ${iss.minimum}`;
    case "invalid_format":
      return `must be a valid ${iss.format}`;
    default:
      return undefined;
  }
};

/** One message for the whole error (every issue, first ones first) and the first issue's field. */
export function describeZodError(err: ZodError): { message: string; param?: string } {
  const parts = err.issues.map((issue) => {
    // Point at the unknown field itself, not its parent object.
    const path =
      issue.code === "unrecognized_keys" && issue.keys.length === 1 ? [...issue.path, issue.keys[0] ?? ""] : issue.path;
    const where = dottedPath(path);
    return { where, text: `${where || "request body"}: ${issue.message}` };
  });
  const shown = parts.slice(0, 5).map((p) => p.text);
  if (parts.length > 5) shown.push(`and ${parts.length - 5} more`);
  const first = parts[0]?.where;
  return { message: shown.join("; "), param: first ? first : undefined };
}
