/** Server-Sent Events framing (WHATWG HTML §9.2), shared by the run object and the HTTP layer. */

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
