/**
 * Starts the real service for browser tests as `npm start` does — its prestart steps (.dev.vars
 * from .dev.vars.example when missing, the local D1 migrations), then `wrangler dev` — but on a
 * free port and with a throw-away state directory, and stops it (its whole process group)
 * afterwards, also when the test process exits early.
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/** @returns {Promise<{url: string, stop: () => Promise<void>, log: () => string}>} */
export async function startServer({ timeoutMs = 120_000 } = {}) {
  const port = await freePort();
  const inspectorPort = await freePort();
  const state = mkdtempSync(join(tmpdir(), "x1-browser-state-"));
  const wrangler = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0", CI: "1" };
  // What scripts/prestart.mjs does for `npm start`, against this server's own state.
  if (!existsSync(join(ROOT, ".dev.vars")) && existsSync(join(ROOT, ".dev.vars.example"))) copyFileSync(join(ROOT, ".dev.vars.example"), join(ROOT, ".dev.vars"));
  if (existsSync(join(ROOT, "migrations"))) {
    const r = spawnSync(process.execPath, [wrangler, "d1", "migrations", "apply", "DB", "--local", "--persist-to", state], { cwd: ROOT, env, encoding: "utf8", timeout: timeoutMs });
    if (r.status !== 0) {
      rmSync(state, { recursive: true, force: true });
      throw new Error(`applying the D1 migrations failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
    }
  }
  const args = [wrangler, "dev", "--local", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort), "--persist-to", state, "--show-interactive-dev-session=false"];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    detached: true, // its own process group: stop() ends wrangler and workerd together
    stdio: ["ignore", "pipe", "pipe"],
    env,
  });
  let output = "";
  const onData = (chunk) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);

  let stopped = false;
  const killGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const onExit = () => killGroup("SIGKILL");
  const onSignal = (signal) => {
    killGroup("SIGKILL");
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("exit", onExit);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener("exit", onExit);
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      killGroup("SIGTERM");
      const timer = setTimeout(() => killGroup("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    killGroup("SIGKILL"); // any straggler in the group
    rmSync(state, { recursive: true, force: true });
  };

  try {
    await new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`wrangler dev was not ready after ${timeoutMs} ms:\n${output.slice(-4000)}`)), timeoutMs);
      const check = () => {
        if (/Ready on http/.test(output)) {
          clearTimeout(timer);
          res();
        }
      };
      child.stdout.on("data", check);
      child.stderr.on("data", check);
      child.once("exit", (code) => {
        clearTimeout(timer);
        rej(new Error(`wrangler dev exited with ${code} before it was ready:\n${output.slice(-4000)}`));
      });
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `http://127.0.0.1:${port}`, stop, log: () => output };
}
