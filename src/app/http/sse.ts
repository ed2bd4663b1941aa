/** The resume position an SSE client asks for (framing lives in src/shared/sse-frame.ts). */
import { invalidRequest } from "../errors";

/**
 * The event sequence number to resume after: `Last-Event-ID` (sent by EventSource on reconnect)
 * wins over `?after=` (for clients that cannot set headers). 0 replays everything.
 */
export function parseResumePoint(lastEventId: string | null | undefined, after: string | null | undefined): number {
  if (lastEventId !== null && lastEventId !== undefined) return parseSeq(lastEventId, "Last-Event-ID");
  if (after !== null && after !== undefined) return parseSeq(after, "after");
  return 0;
}

function parseSeq(raw: string, param: string): number {
  const value = raw.trim();
  if (!/^\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw invalidRequest(
      `${param} must be a non-negative integer event id (received "${raw.slice(0, 40)}")`,
      param,
      "invalid_event_id",
    );
  }
  return Number(value);
}
