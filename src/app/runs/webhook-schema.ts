/**
 * A run's `webhook` field: where to POST which of its events. https only — plain http only to
 * localhost when the development flag ALLOW_HTTP_WEBHOOKS="1" is set — and no credentials in the
 * URL (deliveries are authenticated by their signature, not by the URL).
 */
import { z } from "zod";
import type { Env } from "../../env";
import { checkOutboundUrl } from "../http/outbound-url";

export const WEBHOOK_EVENTS = [
  "run.started",
  "stage.started",
  "candidate.generated",
  "selfcheck.decided",
  "judge.decided",
  "stage.completed",
  "run.succeeded",
  "run.failed",
  "run.canceled",
] as const;
export const DEFAULT_WEBHOOK_EVENTS = ["run.succeeded", "run.failed", "run.canceled"];
export const MAX_WEBHOOK_URL_CHARS = 2_048;

export const webhookSchema = z.strictObject({
  url: z
    .string()
    .min(1, { error: "must not be empty" })
    .max(MAX_WEBHOOK_URL_CHARS, {
      error: `must be at most ${MAX_WEBHOOK_URL_CHARS} characters (limit: webhook url ≤ ${MAX_WEBHOOK_URL_CHARS} chars)`,
    }),
  events: z
    .array(z.enum([...WEBHOOK_EVENTS, "*"]))
    .min(1, { error: 'must name at least one event (or "*" for all)' })
    .max(WEBHOOK_EVENTS.length + 1, { error: `must list at most ${WEBHOOK_EVENTS.length + 1} events` })
    .default(DEFAULT_WEBHOOK_EVENTS as ("run.succeeded" | "run.failed" | "run.canceled")[]),
});

export type WebhookBody = z.output<typeof webhookSchema>;

/** The URL's rules beyond its shape; throws a 400 naming the problem. */
export function checkWebhookUrl(raw: string, env: Pick<Env, "ALLOW_HTTP_WEBHOOKS">): string {
  return checkOutboundUrl(raw, {
    param: "webhook.url",
    code: "invalid_webhook_url",
    allowLocalHttp: env.ALLOW_HTTP_WEBHOOKS === "1",
    flag: "ALLOW_HTTP_WEBHOOKS",
  }).toString();
}
