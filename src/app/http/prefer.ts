/**
 * The `Prefer: wait=N` request header (RFC 7240 §4.3): how long the caller is willing to wait
 * for a finished run before taking a 202. Other preferences are ignored, as §2 asks; a wait
 * value we cannot honour is a 400, since silently not waiting would surprise the caller.
 */
import { invalidRequest } from "./errors";
import { PREFER_WAIT_SECONDS, describeRange } from "./limits";

/** Seconds to wait, or undefined when the header asks for no wait. */
export function parsePreferWait(header: string | null | undefined): number | undefined {
  if (!header) return undefined;
  let wait: number | undefined;
  for (const pref of header.split(",")) {
    // A preference is `token[=value]` followed by optional `;param` parts (ignored here).
    const [head = ""] = pref.split(";", 1);
    const eq = head.indexOf("=");
    const name = (eq < 0 ? head : head.slice(0, eq)).trim().toLowerCase();
    if (name !== "wait") continue;
    const raw =
      eq < 0
        ? ""
        : head
            .slice(eq + 1)
            .trim()
            .replace(/^"(.*)"$/, "$1");
    const limit = `(limit: ${describeRange(PREFER_WAIT_SECONDS)} seconds)`;
    if (!/^\d{1,6}$/.test(raw))
      throw invalidRequest(
        `Prefer: wait must be a whole number of seconds, received "${raw.slice(0, 20)}" ${limit}`,
        "Prefer",
        "invalid_prefer",
      );
    const n = Number(raw);
    if (n > PREFER_WAIT_SECONDS.max)
      throw invalidRequest(`Prefer: wait=${n} is too long ${limit}`, "Prefer", "invalid_prefer");
    wait = n;
  }
  return wait;
}
