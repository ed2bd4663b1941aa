import { Hono } from "hono";
import type { Env } from "../env";

export function createApp() {
  const app = new Hono<{ Bindings: Env }>();
  app.get("/healthz", (c) => c.json({ ok: true }));
  return app;
}
