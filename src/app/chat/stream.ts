/**
 * `stream: true`: the run's own event stream, translated into `chat.completion.chunk` frames.
 * Each `stage.completed` becomes one delta (a tagged stage in `content`, or in `split` format the
 * first three stages in `reasoning_content` and the CONCLUSION in `content`); then the final
 * chunk, the usage chunk when asked for, and `data: [DONE]`. A run that fails mid-stream ends
 * with an OpenAI error frame (`data: {"error": …}`), which OpenAI's SDKs raise as an APIError.
 *
 * With `search.keep` > 1 a completed stage is provisional (a later stage may continue another
 * kept prefix), so the stages are held until the run succeeds and then sent from its result.
 */
import { STAGES, type Stage } from "../../reasoning/stages";
import { formatSseFrame, sseComment } from "../../shared/sse-frame";
import type { RunView } from "../../runs/contract";
import {
  chunkOf,
  runFailureBody,
  stagePiece,
  usageChunkOf,
  usageOf,
  type ChunkDelta,
  type ChunkHead,
} from "./completion";
import type { ReasoningFormat } from "./schema";
import { readSse } from "../../shared/sse-read";

export interface ChatStreamOptions {
  head: ChunkHead;
  format: ReasoningFormat;
  /** Hold stage text until the run succeeds (its stages are provisional until then). */
  hold: boolean;
}

const TERMINAL = new Set(["run.succeeded", "run.failed", "run.canceled"]);

function deltaFor(stage: Stage, text: string, format: ReasoningFormat): ChunkDelta {
  if (format === "split")
    return stage === "CONCLUSION"
      ? { content: text }
      : { reasoning_content: stagePiece(stage, text, stage === STAGES[0]) };
  return { content: stagePiece(stage, text, stage === STAGES[0]) };
}

function completedStage(data: string): { stage: Stage; text: string } | undefined {
  try {
    const parsed = JSON.parse(data) as { stage?: unknown; text?: unknown };
    const stage = STAGES.find((s) => s === parsed.stage);
    return stage && typeof parsed.text === "string" ? { stage, text: parsed.text } : undefined;
  } catch {
    return undefined;
  }
}

/** `events`: the object's event stream; `view`: reads the run (as its owner) once it has ended. */
export function streamCompletion(
  events: ReadableStream<Uint8Array>,
  view: () => Promise<RunView | null>,
  options: ChatStreamOptions,
): ReadableStream<Uint8Array> {
  const { head, format, hold } = options;
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const encoder = new TextEncoder();
  let clientGone = false;
  const write = (text: string): Promise<void> =>
    writer.write(encoder.encode(text)).catch((err: unknown) => {
      clientGone = true;
      throw err;
    });
  const send = (data: unknown): Promise<void> => write(formatSseFrame({ data }));
  const sendError = (message: string, code: string): Promise<void> =>
    send({ error: { type: "api_error", code, message, param: null, run_id: head.run_id } });

  // Stages go out in order, each once: `next` is the first stage not sent yet.
  let next = 0;
  const sendStage = async (stage: Stage, text: string): Promise<void> => {
    if (STAGES[next] !== stage) return;
    next += 1;
    await send(chunkOf(head, deltaFor(stage, text, format)));
  };

  async function finish(): Promise<void> {
    const run = await view();
    if (!run) return sendError(`run ${head.run_id} disappeared`, "run_not_found");
    if (run.status !== "succeeded") return send(runFailureBody(run));
    for (const stage of STAGES.slice(next)) await sendStage(stage, run.stages[stage] ?? "");
    await send(chunkOf(head, {}, "stop"));
    if (head.includeUsage) await send(usageChunkOf(head, usageOf(run.usage)));
    await send("[DONE]");
  }

  async function pump(): Promise<void> {
    await send(chunkOf(head, { role: "assistant", content: "" }));
    for await (const frame of readSse(events)) {
      if (frame.comment) {
        await write(sseComment("keep-alive"));
      } else if (frame.event === "stage.completed" && !hold) {
        const done = completedStage(frame.data);
        if (done) await sendStage(done.stage, done.text);
      } else if (frame.event !== undefined && TERMINAL.has(frame.event)) {
        return finish();
      }
    }
    await sendError(
      `the run's event stream ended before the run did; the run goes on: GET /v1/runs/${head.run_id}`,
      "stream_interrupted",
    );
  }

  pump()
    .catch(async (err: unknown) => {
      // A client that went away is normal (the run goes on); anything else is said, if anyone listens.
      if (clientGone) return;
      console.error(`chat stream for ${head.run_id} failed`, err);
      await sendError(`streaming the run failed; the run goes on: GET /v1/runs/${head.run_id}`, "stream_failed").catch(
        () => undefined,
      );
    })
    .finally(() => writer.close().catch(() => undefined));
  return readable;
}
