/** Helpers for the chat-completions tests: the official OpenAI SDK pointed at the worker. */
import { SELF } from "cloudflare:test";
import OpenAI from "openai";
import { PNG_8x6_B64 } from "../fixtures/images";
import { TEST_API_KEY, authHeaders } from "../helpers/auth";

export const BASE = "https://api.test";
export const PNG_DATA_URL = `data:image/png;base64,${PNG_8x6_B64}`;

/** A real client: every request goes through the worker's fetch handler (SELF). */
export function openaiClient(apiKey: string = TEST_API_KEY): OpenAI {
  return new OpenAI({
    baseURL: `${BASE}/v1`,
    apiKey,
    maxRetries: 0,
    fetch: (url, init) => SELF.fetch(url, init),
  });
}

export function visionMessages(question = "How many blue squares are there?", imageUrl = PNG_DATA_URL) {
  return [
    {
      role: "user" as const,
      content: [
        { type: "text" as const, text: question },
        { type: "image_url" as const, image_url: { url: imageUrl } },
      ],
    },
  ];
}

export function postChat(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch(`${BASE}/v1/chat/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...authHeaders(), ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** The `data:` payloads of an SSE body, in order (comments dropped). */
export function sseData(text: string): string[] {
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "" && !block.startsWith(":"))
    .map((block) =>
      block
        .split("\n")
        .filter((l) => l.startsWith("data: "))
        .map((l) => l.slice(6))
        .join("\n"),
    );
}
