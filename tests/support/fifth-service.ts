/**
 * Renders a stack with one more service in the catalog and prints, as JSON, what the stack made of it: the rule
 * files, the gateway's tail-sampling policies, the Prometheus scrape jobs, Alertmanager's receivers and routes, and
 * the dashboards. Run as its own process (`node -r ts-node/register/transpile-only tests/support/fifth-service.ts
 * <stack>`): every module computes its per-service tables when it is loaded, so the entry is added to the catalog
 * before anything else is loaded, exactly as a new file listed in `catalog/services/index.ts` would be.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import type { ServiceEntry } from "../../catalog/service";
import type { SynthResult } from "../../scripts/synth";
import { syntheticService } from "./synthetic-service";

async function main(): Promise<void> {
  const stack = process.argv[2] ?? "staging";
  const { serviceCatalog } = require("../../catalog/services") as { serviceCatalog: ServiceEntry[] };
  serviceCatalog.push(syntheticService);
  const { synthStack } = require("../../scripts/synth") as typeof import("../../scripts/synth");
  const { generatedDocuments } = require("../../scripts/synth/write") as typeof import("../../scripts/synth/write");
  const { parse } = require("yaml") as typeof import("yaml");
  const result: SynthResult = await synthStack({ stack });
  const docs = generatedDocuments(result.resources);
  const yaml = (file: string): any => parse(docs[file]);
  const rules = Object.fromEntries(
    Object.keys(docs).filter((f) => f.startsWith("rules/")).map((f) => [f.slice("rules/".length), yaml(f)]),
  );
  const dashboards = Object.fromEntries(
    Object.keys(docs).filter((f) => f.startsWith("dashboards/")).map((f) => [f.slice("dashboards/".length), JSON.parse(docs[f])]),
  );
  process.stdout.write(`${JSON.stringify({
    stack,
    rules,
    tailSampling: yaml("otel-gateway.yaml").processors.tail_sampling.policies,
    scrapeConfigs: yaml("prometheus.yml").scrape_configs,
    alertmanager: docs["alertmanager.yml"],
    dashboards,
    slos: JSON.parse(docs["slos.json"]),
  })}\n`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
