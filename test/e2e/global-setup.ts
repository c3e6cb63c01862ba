/// <reference types="node" />
// Global setup of the end-to-end suite (vitest.e2e.config.ts): one local D1 with the migrations
// and the synthetic dataset, made once per run. Every test file's stack still gets a fresh
// persistence folder; startWorker (scripts/local-stack.mjs) copies this D1 into it instead of
// running the migrations and loading the 9 MB seed again (about 6 s of wrangler per stack). It also
// finds Chromium for the browser tests, installing it with apt-get where it can (./chromium.ts).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { prepareChromium } from "./chromium";

// scripts/local-stack.mjs has no type declarations; this is the part of it used here.
interface LocalStack {
  D1_TEMPLATE_ENV: string;
  prepareD1Template(dir: string): Promise<void>;
}

export default async function setup(): Promise<() => Promise<void>> {
  const href = pathToFileURL(path.resolve(import.meta.dirname, "..", "..", "scripts", "local-stack.mjs")).href;
  const { D1_TEMPLATE_ENV, prepareD1Template } = (await import(href)) as LocalStack;
  const dir = await mkdtemp(path.join(tmpdir(), "pandgate-e2e-d1-"));
  const [forgetChromium] = await Promise.all([prepareChromium(), prepareD1Template(dir)]);
  // Test files run in child processes started after this, which inherit the environment.
  process.env[D1_TEMPLATE_ENV] = dir;
  return async () => {
    delete process.env[D1_TEMPLATE_ENV];
    forgetChromium();
    await rm(dir, { recursive: true, force: true });
  };
}
