import { describe, expect, it } from "vitest";
import { readSse } from "./sse-read";

function streamOf(chunks: string[]): {
  stream: ReadableStream<Uint8Array>;
  state: { pulled: number; cancelled: boolean };
} {
  const state = { pulled: 0, cancelled: false };
  const enc = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(c) {
        const chunk = chunks[state.pulled];
        if (chunk === undefined) return c.close();
        state.pulled += 1;
        c.enqueue(enc.encode(chunk));
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for await (const m of readSse(stream)) if (!m.comment) out.push(m.data);
  return out;
}

describe("readSse", () => {
  it("yields one payload per event, across chunk boundaries and line-ending styles", async () => {
    const { stream } = streamOf([
      'data: {"respo',
      'nse":"a"}\n\n',
      "data: b\r\n\r\n: comment\nevent: x\ndata: c1\ndata: c2\n\n",
      "data: [DONE]",
    ]);
    expect(await collect(stream)).toEqual(['{"response":"a"}', "b", "c1\nc2", "[DONE]"]);
  });

  it("breaking out of the loop cancels the stream; nothing more is pulled", async () => {
    const { stream, state } = streamOf(["data: 1\n\n", "data: 2\n\n", "data: 3\n\n", "data: 4\n\n"]);
    for await (const m of readSse(stream)) if (m.data === "2") break;
    expect(state.pulled).toBe(2);
    expect(state.cancelled).toBe(true);
  });

  it("a stream read to its end is not cancelled", async () => {
    const { stream, state } = streamOf(["data: 1\n\n"]);
    await collect(stream);
    expect(state.cancelled).toBe(false);
  });

  it("keeps ids and event types, and reports comments", async () => {
    const { stream } = streamOf(["id: 3\nevent: stage.completed\ndata: {}\n\n: ping\n\n"]);
    const got = [];
    for await (const m of readSse(stream)) got.push(m);
    expect(got).toEqual([
      { id: "3", event: "stage.completed", data: "{}" },
      { data: "", comment: true },
    ]);
  });
});
