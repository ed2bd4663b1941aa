/**
 * A chat request as a run: the last user message's text is the question, its one image the
 * run's image. The engine reasons about one question on one image, so earlier turns and system
 * messages are validated but do not reach the model (docs/chat-completions.md).
 */
import type { Env } from "../../env";
import type { ImageInput } from "../../inference/backend";
import { ApiError, invalidRequest } from "../errors";
import { checkDecodable, decodeInlineImage, fetchImage } from "../images/images";
import { MAX_IMAGE_URL_CHARS, MAX_QUESTION_CHARS } from "../http/limits";
import type { CheckedRun } from "../runs/start";
import { createRunSchema, resolveModel, toRunSpec, type CreateRunRequest, type ImageBody } from "../runs/schemas";
import { apiErrorMap } from "../zod-messages";
import type { ChatCompletionBody, ChatMessage } from "./schema";

interface FoundImage {
  /** Dotted path of the part's url, for errors: `messages[1].content[0].image_url.url`. */
  path: string;
  body: ImageBody;
}

const DATA_URL = /^data:([^,;]*)((?:;[^,;]*)*?);base64,(.*)$/s;

/** `data:image/png;base64,…` → `{data, media_type}`; an https URL → `{url}`. */
function imageBody(url: string, path: string): ImageBody {
  if (url.startsWith("data:")) {
    const m = DATA_URL.exec(url);
    if (!m)
      throw invalidRequest(`${path}: a data URL must be base64 (data:image/png;base64,…)`, path, "invalid_image_url");
    return { data: m[3] ?? "", media_type: m[1] ?? "" };
  }
  if (url.length > MAX_IMAGE_URL_CHARS) {
    throw invalidRequest(
      `${path}: must be at most ${MAX_IMAGE_URL_CHARS} characters (limit: url ≤ ${MAX_IMAGE_URL_CHARS} chars; send larger images as data URLs)`,
      path,
      "invalid_image_url",
    );
  }
  return { url };
}

function lastUserIndex(messages: ChatMessage[]): number {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.role === "user") return i;
  return -1;
}

export interface ChatQuestion {
  question: string;
  image?: FoundImage;
}

/** The question and the image of a chat, or a 400 naming the message at fault. */
export function chatQuestion(messages: ChatMessage[]): ChatQuestion {
  const at = lastUserIndex(messages);
  if (at < 0)
    throw invalidRequest(
      "messages: needs a user message (its text is the question)",
      "messages",
      "missing_user_message",
    );
  if (at !== messages.length - 1) {
    throw invalidRequest(
      `messages[${messages.length - 1}]: the last message must be the user's (assistant prefill is not supported)`,
      `messages[${messages.length - 1}]`,
      "invalid_messages",
    );
  }
  const images: string[] = [];
  messages.forEach((m, i) =>
    m.content.forEach((p, j) => p.type === "image_url" && images.push(`messages[${i}].content[${j}]`)),
  );
  if (images.length > 1) {
    throw invalidRequest(
      `${images[1]}: at most one image per request (found ${images.length}: ${images.join(", ")})`,
      images[1],
      "too_many_images",
    );
  }
  const imageAt = images[0];
  if (imageAt !== undefined && !imageAt.startsWith(`messages[${at}].`)) {
    throw invalidRequest(
      `${imageAt}: the image must be in the last user message (messages[${at}])`,
      imageAt,
      "invalid_messages",
    );
  }
  const last = messages[at]?.content ?? [];
  const question = last
    .flatMap((p) => (p.type === "text" && p.text !== undefined ? [p.text] : []))
    .join("\n")
    .trim();
  const where = `messages[${at}].content`;
  if (question === "")
    throw invalidRequest(`${where}: the last user message needs text (the question)`, where, "missing_question");
  if (question.length > MAX_QUESTION_CHARS) {
    throw invalidRequest(
      `${where}: the question is ${question.length} characters (limit: question ≤ ${MAX_QUESTION_CHARS} chars)`,
      where,
      "question_too_long",
    );
  }
  const part = imageAt === undefined ? undefined : last.find((p) => p.type === "image_url");
  if (!part?.image_url || imageAt === undefined) return { question };
  const path = `${imageAt}.image_url.url`;
  return { question, image: { path, body: imageBody(part.image_url.url, path) } };
}

/** Errors from the shared image and model checks name `image…`; point them at the message part. */
function atPart<T>(path: string | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw reparent(e, path);
  }
}

async function atPartAsync<T>(path: string | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw reparent(e, path);
  }
}

function reparent(e: unknown, path: string | undefined): unknown {
  if (path === undefined || !(e instanceof ApiError) || !e.param?.startsWith("image")) return e;
  const message = e.message.replace(/^image(\.(url|data|media_type))?/, path);
  return new ApiError(e.status, e.type, message === e.message ? `${path}: ${message}` : message, {
    param: path,
    code: e.code,
  });
}

/** Everything POST /v1/runs would check, for the run this chat asks for. */
export async function checkChatRun(env: Env, chat: ChatCompletionBody): Promise<CheckedRun> {
  const { question, image } = chatQuestion(chat.messages);
  const max = chat.max_completion_tokens ?? chat.max_tokens ?? undefined;
  const request: CreateRunRequest = {
    question,
    search: chat.search,
    sampling: {
      ...(chat.temperature != null && { temperature: chat.temperature }),
      ...(chat.top_p != null && { top_p: chat.top_p }),
      ...(max !== undefined && { max_tokens_per_stage: max }),
      ...(chat.seed != null && { seed: chat.seed }),
    },
  };
  if (chat.model != null) request.model = chat.model;
  if (image) request.image = image.body;
  if (chat.metadata != null) request.metadata = chat.metadata;
  // Every field was checked by the chat schema: this only applies the runs' defaults.
  const body = createRunSchema.parse(request, { error: apiErrorMap });
  const model = atPart(image?.path, () => resolveModel(env, body));
  const loaded: ImageInput | undefined = image
    ? await atPartAsync(image.path, async () =>
        checkDecodable(
          image.body.url !== undefined
            ? await fetchImage(image.body.url, env)
            : decodeInlineImage(image.body.data ?? "", image.body.media_type ?? ""),
          "image_url",
        ),
      )
    : undefined;
  return { body, model, image: loaded, spec: toRunSpec(body, loaded !== undefined, undefined, model.default_scorer) };
}
