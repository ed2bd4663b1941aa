/**
 * The `Prefer: wait=N` request header (RFC 7240 §4.3): how long the caller is willing to wait
 * for a finished run before taking a 202. Other preferences are ignored, as §2 asks. A longer
 * wait than we allow is applied as far as it can be (§2: a server applies what it can), and the
 * response says what was applied in `Preference-Applied`; a value that is not a number of
 * seconds is a 400, since guessing what it meant would surprise the caller.
 */
import { invalidRequest } from "../errors";
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
    if (!/^\d{1,15}$/.test(raw))
      throw invalidRequest(
        `Prefer: wait must be a whole number of seconds, received "${raw.slice(0, 20)}" ${limit}`,
        "Prefer",
        "invalid_prefer",
      );
    wait = Math.min(Number(raw), PREFER_WAIT_SECONDS.max);
  }
  return wait;
}
