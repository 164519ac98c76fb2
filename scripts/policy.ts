import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import {
  type PolicyPackConfig,
  type PolicyReport,
  type RecordedResource,
  formatReport,
  runPolicies,
} from "../policies/offline";

const usage =
  "usage: npm run policy -- <out/<stack>/resources.json> [--config policy-config.json] [--out policy-report.json] [--environment <env>] [--preview]";

export interface PolicyCliArgs {
  resourcesFile: string;
  /** A `--policy-pack-config` style JSON file. */
  configFile?: string;
  /** Defaults to policy-report.json next to the resources file. */
  outFile: string;
  /** Defaults to `environment` of the summary.json rendered beside the resources, else the stack directory name. */
  environment: string;
  /**
   * Judge the stack as a first `pulumi preview` does: "[computed]" values are unknown, and a policy that reads one
   * reports the analyzer's advisory "can't run policy ... during preview" instead of a verdict.
   */
  preview: boolean;
}

/** Parses the CLI arguments; throws an Error naming the bad argument. */
export function parseArgs(argv: string[]): PolicyCliArgs {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--preview") {
      flags.set(arg, "true");
    } else if (["--config", "--out", "--environment"].includes(arg)) {
      const value = argv[++i];
      if (value === undefined || value.startsWith("--")) {
        throw new Error(`${arg} needs a value\n${usage}`);
      }
      flags.set(arg, value);
    } else if (arg.startsWith("--")) {
      throw new Error(`unknown option ${arg}\n${usage}`);
    } else {
      positional.push(arg);
    }
  }
  if (positional.length !== 1) {
    throw new Error(`expected exactly one resources.json, got ${positional.length}\n${usage}`);
  }
  const resourcesFile = positional[0];
  return {
    resourcesFile,
    configFile: flags.get("--config"),
    outFile: flags.get("--out") ?? path.join(path.dirname(resourcesFile), "policy-report.json"),
    environment: flags.get("--environment") ?? renderedEnvironment(resourcesFile),
    preview: flags.has("--preview"),
  };
}

/** The environment the render recorded for out/<stack>/ (summary.json), else the directory's name, the stack. */
export function renderedEnvironment(resourcesFile: string): string {
  const dir = path.dirname(path.resolve(resourcesFile));
  try {
    const environment = JSON.parse(readFileSync(path.join(dir, "summary.json"), "utf8")).environment;
    if (typeof environment === "string" && environment) {
      return environment;
    }
  } catch {
    // No summary beside the file: a hand-made resources.json.
  }
  return path.basename(dir);
}

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

/**
 * Runs the pack over recorded resources and writes the JSON report; `npm run render` calls this as its last step.
 */
export async function writePolicyReport(
  resources: RecordedResource[],
  options: { outFile: string; environment?: string; config?: PolicyPackConfig; preview?: boolean },
): Promise<PolicyReport> {
  const report = await runPolicies(resources, { environment: options.environment, config: options.config, preview: options.preview });
  mkdirSync(path.dirname(options.outFile), { recursive: true });
  writeFileSync(options.outFile, `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

/** The CLI: prints violations and returns the exit code (0 clean, 1 mandatory violations, 2 bad input). */
export async function main(argv: string[]): Promise<number> {
  let args: PolicyCliArgs;
  let resources: RecordedResource[];
  let config: PolicyPackConfig | undefined;
  try {
    args = parseArgs(argv);
    const parsed = readJson(args.resourcesFile, "resources");
    if (!Array.isArray(parsed)) {
      throw new Error(`${args.resourcesFile} is not a JSON array of recorded resources`);
    }
    resources = parsed as RecordedResource[];
    config = args.configFile ? (readJson(args.configFile, "policy config") as PolicyPackConfig) : undefined;
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  let report: PolicyReport;
  try {
    report = await writePolicyReport(resources, { outFile: args.outFile, environment: args.environment, config, preview: args.preview });
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  console.log(formatReport(report));
  console.log(`report written to ${args.outFile}`);
  return report.mandatory > 0 ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
