/** Server-Sent Events of a finished stream, parsed into frames (`id`, `event`, JSON `data`). */
export interface SseEvent {
  id: number | undefined;
  event: string;
  data: Record<string, unknown>;
}

export function parseSseText(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split(/\n\n/)) {
    let id: number | undefined;
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("id: ")) id = Number(line.slice(4));
      else if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data.push(line.slice(6));
    }
    if (event !== undefined) events.push({ id, event, data: JSON.parse(data.join("\n")) as Record<string, unknown> });
  }
  return events;
}
