/**
 * Server-Sent Events framing (WHATWG HTML §9.2) and the resume position a client asks for.
 */
import { invalidRequest } from "./errors";

export interface SseFrame {
  id?: number | string;
  event?: string;
  /** A string is sent as is (split on newlines); anything else as JSON. */
  data: unknown;
}

/** One frame, ending with the blank line that dispatches it. */
export function formatSseFrame(frame: SseFrame): string {
  let out = "";
  if (frame.id !== undefined) out += `id: ${String(frame.id)}\n`;
  if (frame.event !== undefined) out += `event: ${frame.event}\n`;
  const data = typeof frame.data === "string" ? frame.data : JSON.stringify(frame.data);
  // A newline inside data would end the field early; each line gets its own `data:` field.
  for (const line of data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** A comment line: keeps idle connections open through proxies, ignored by clients. */
export const sseComment = (text: string): string => `: ${text.replace(/[\r\n]+/g, " ")}\n\n`;

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
    throw invalidRequest(`${param} must be a non-negative integer event id (received "${raw.slice(0, 40)}")`, param, "invalid_event_id");
  }
  return Number(value);
}
