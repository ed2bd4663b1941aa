import js from "@eslint/js";
import tseslint from "typescript-eslint";

const NODE_GLOBALS = [
  "AbortSignal",
  "Headers",
  "Request",
  "Response",
  "TextDecoder",
  "TextEncoder",
  "process",
  "console",
  "Buffer",
  "URL",
  "fetch",
  "setTimeout",
  "clearTimeout",
  "setInterval",
  "clearInterval",
];
const BROWSER_GLOBALS = [
  "window",
  "document",
  "navigator",
  "location",
  "history",
  "localStorage",
  "console",
  "fetch",
  "URL",
  "URLSearchParams",
  "Node",
  "TextDecoder",
  "TextEncoder",
  "AbortController",
  "setTimeout",
  "clearTimeout",
  "btoa",
  "atob",
];

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      ".wrangler/",
      "dist/",
      "model-shards/",
      "public/vendor/",
      "tools/**/*.py",
      "tools/.cache/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    // The reasoning core stays pure: no Workers runtime, no HTTP framework, no network.
    files: ["src/reasoning/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["cloudflare:*"], message: "src/reasoning is pure: no Workers runtime imports." },
            { group: ["hono", "hono/*"], message: "src/reasoning is pure: no HTTP framework." },
            {
              group: ["../runs/*", "../app/*", "../inference/*", "!../inference/backend"],
              message: "src/reasoning may depend only on the backend interface.",
            },
          ],
        },
      ],
      "no-restricted-globals": [
        "error",
        { name: "fetch", message: "src/reasoning is pure: no network." },
        { name: "Request", message: "src/reasoning is pure: no network." },
        { name: "Response", message: "src/reasoning is pure: no network." },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: {
      globals: Object.fromEntries(NODE_GLOBALS.map((g) => [g, "readonly"])),
    },
  },
  {
    // The playground: plain ES modules run by the browser.
    files: ["public/**/*.js"],
    languageOptions: { globals: Object.fromEntries(BROWSER_GLOBALS.map((g) => [g, "readonly"])) },
  },
  {
    // Browser tests: Node, plus callbacks that playwright runs inside the page.
    files: ["test/browser/**/*.mjs"],
    languageOptions: {
      globals: Object.fromEntries([...NODE_GLOBALS, "document", "localStorage", "window"].map((g) => [g, "readonly"])),
    },
  },
);
