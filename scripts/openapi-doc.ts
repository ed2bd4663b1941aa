// Prints the service's OpenAPI document, built from the app's route declarations exactly as
// `GET /openapi.json` serves it (bundled for Node by scripts/gen-client.mjs).
import { createApp } from "../src/app/create-app";
import { openApiDocument } from "../src/app/service/document";

process.stdout.write(`${JSON.stringify(openApiDocument(createApp()), null, 2)}\n`);
