/**
 * `npm run render [-- --stack <name>]... [-- --out <dir>]`: the offline synth. Evaluates the real program for each
 * stack on Pulumi's mock runtime, runs the policy pack over what it registered, and writes `<dir>/<stack>/`
 * (manifests, resources.json, configs, summary.json, policy-report.json, detection.md), then prints a short
 * summary. With no --stack, renders every stack that has a `Pulumi.<name>.yaml`. Exits non-zero if any stack has
 * invalid config (nothing is written for it) or a mandatory policy violation (its render is written, so the report
 * can be read).
 */
import * as path from "path";
import type { CostEstimate } from "../components/s3-archive/cost-model";
import { ConfigError } from "../config";
import { formatReport, runPolicies } from "../policies/offline";
import { defaultProjectDir, stackNames, synthStack } from "./synth";
import { detectionDocument } from "./synth/detection";
import { formatSummary } from "./synth/format";
import { StackSummary, summarize } from "./synth/summary";
import { writeStackOutput } from "./synth/write";

interface Args {
  stacks: string[];
  out: string;
}

export function parseArgs(argv: string[]): Args {
  const args: Args = { stacks: [], out: path.join(defaultProjectDir, "out") };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === "--help" || flag === "-h") throw new UsageError("");
    if (flag !== "--stack" && flag !== "--out") throw new UsageError(`unknown argument "${flag}"`);
    if (!value || value.startsWith("--")) throw new UsageError(`${flag} needs a value`);
    if (flag === "--stack") args.stacks.push(value);
    else args.out = path.resolve(value);
    i++;
  }
  return args;
}

class UsageError extends Error {}

const usage = "usage: npm run render [-- --stack <name> ...] [--out <dir>]   (default: every Pulumi.<name>.yaml, into out/)";

export interface RenderOptions {
  stacks: string[];
  out: string;
  projectDir?: string;
  log?: (line: string) => void;
  error?: (line: string) => void;
}

/**
 * Renders each stack into `<out>/<stack>/`. A stack with invalid config is reported and nothing is written for it;
 * the other stacks still render. Returns the process exit code.
 */
export async function render(o: RenderOptions): Promise<number> {
  const projectDir = o.projectDir ?? defaultProjectDir;
  const log = o.log ?? console.log;
  const error = o.error ?? console.error;
  const known = stackNames(projectDir);
  const stacks = o.stacks.length > 0 ? o.stacks : known;
  let failed = 0;
  for (const stack of stacks) {
    if (!known.includes(stack)) {
      error(`render: no Pulumi.${stack}.yaml; stacks here: ${known.join(", ")}`);
      failed++;
      continue;
    }
    const started = process.hrtime.bigint();
    try {
      const result = await synthStack({ stack, projectDir });
      const cost = result.outputs.logStorageCostEstimate as CostEstimate | undefined;
      const summary: StackSummary = summarize(stack, result.environment, result.resources, cost);
      // The same policy objects `pulumi preview --policy-pack policies` runs, over what the program registered.
      const report = await runPolicies(result.resources, { environment: result.environment });
      const dir = path.join(o.out, stack);
      writeStackOutput(dir, {
        resources: result.resources,
        summary,
        extra: { "policy-report.json": report },
        texts: { "detection.md": detectionDocument(stack, result.resources) },
      });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log(formatSummary(summary, { dir: path.relative(process.cwd(), dir) || ".", ms, placeholders: result.placeholderSecrets }));
      log(indent(formatReport(report)));
      if (report.mandatory > 0) failed++;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      failed++;
      error(`render: stack ${stack}: ${e.message}\nnothing was written for ${stack}.`);
    }
  }
  return failed > 0 ? 1 : 0;
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");
}

async function main(argv: string[]): Promise<number> {
  try {
    return await render(parseArgs(argv));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(e.message ? `render: ${e.message}\n${usage}` : usage);
    return e.message ? 2 : 0;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
