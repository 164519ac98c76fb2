/**
 * `npm run release -- --stack <name> [--yes] [--allow-data-loss] [--allow-unevaluated-policies] [--policy-pack <dir>]
 *  [--policy-pack-config <file>]`:
 * the pipeline's release step, driven through the Pulumi Automation API (it shells out to the `pulumi` CLI, which
 * must be logged in; the stack must exist).
 *
 * 1. Validates the stack config offline (the same validator the program runs) and stops on any problem.
 * 2. Previews with the CrossGuard pack, saving the plan; a mandatory violation stops the release, and so does a
 *    mandatory policy the analyzer could not evaluate in preview, unless --allow-unevaluated-policies is given.
 * 3. Stops if the plan deletes or replaces a resource that holds data, unless --allow-data-loss is given.
 * 4. Without --yes, stops after printing the plan (a dry run); with it, runs `up` with the same policy pack,
 *    constrained to the saved plan.
 */
import { mkdtempSync } from "fs";
import type { Stack } from "@pulumi/pulumi/automation";
import { tmpdir } from "os";
import * as path from "path";
import { ConfigError, validateStackConfig } from "../config";
import { policies as packPolicies } from "../policies/pack";
import { defaultProjectDir } from "./synth";
import { readStackFile } from "./synth/stack-files";

/** One step the engine plans: what happens to which resource. */
export interface PlannedStep {
  op: string;
  urn: string;
  type: string;
}

export interface PolicyFinding {
  policy: string;
  level: "warning" | "mandatory";
  urn?: string;
  message: string;
}

/** What the release needs from Pulumi; the Automation API implements it, tests fake it. */
export interface ReleaseEngine {
  preview(): Promise<{ steps: PlannedStep[]; policy: PolicyFinding[] }>;
  up(): Promise<{ outputs: Record<string, unknown> }>;
}

/** Types whose deletion or replacement destroys data (or the key that decrypts it). */
export const statefulTypes = new Set([
  "aws:s3/bucket:Bucket",
  "aws:s3/bucketV2:BucketV2",
  "aws:kms/key:Key",
  "aws:rds/instance:Instance",
  "aws:rds/cluster:Cluster",
  "aws:opensearch/domain:Domain",
  "kubernetes:apps/v1:StatefulSet",
  "kubernetes:core/v1:PersistentVolumeClaim",
  "kubernetes:core/v1:Namespace",
  "kubernetes:storage.k8s.io/v1:StorageClass",
]);

const destructive = new Set(["delete", "replace", "create-replacement", "delete-replaced"]);

export interface Decision {
  proceed: boolean;
  reasons: string[];
}

/** The policies of the pack that are mandatory by default: a finding that one of them could not run is a gap. */
export const mandatoryPolicies: ReadonlySet<string> = new Set(
  packPolicies.filter((p) => (p.enforcementLevel ?? "advisory") !== "advisory" && p.enforcementLevel !== "disabled").map((p) => p.name),
);

/**
 * Whether a previewed plan may be applied. Blocks on a mandatory violation; on a mandatory policy the analyzer could
 * not run in preview (it reports those as advisory "can't run ... during preview" when an input is not known yet,
 * e.g. an ARN of a resource still to be created) unless `allowUnevaluated`; and on any delete or replacement of a
 * data-holding resource unless `allowDataLoss`.
 */
export function decide(
  plan: { steps: PlannedStep[]; policy: PolicyFinding[] },
  opts: { allowDataLoss: boolean; allowUnevaluated?: boolean; mandatory?: ReadonlySet<string> },
): Decision {
  const reasons: string[] = [];
  const mandatory = opts.mandatory ?? mandatoryPolicies;
  for (const f of plan.policy) {
    if (f.level === "mandatory") {
      reasons.push(`mandatory policy ${f.policy} failed${f.urn ? ` on ${f.urn}` : ""}: ${f.message}`);
    } else if (!opts.allowUnevaluated && mandatory.has(f.policy) && f.message.startsWith("can't run ")) {
      reasons.push(
        `mandatory policy ${f.policy} could not be evaluated in preview${f.urn ? ` on ${f.urn}` : ""}: ${f.message}; ` +
          "rerun with --allow-unevaluated-policies after reviewing (it runs again during the update)",
      );
    }
  }
  const lossy = plan.steps.filter((s) => destructive.has(s.op) && statefulTypes.has(s.type));
  const seen = new Set<string>();
  for (const s of lossy) {
    if (seen.has(s.urn)) continue;
    seen.add(s.urn);
    // A replacement shows as create-replacement, replace and delete-replaced steps of one resource: name it once.
    const what = s.op === "delete" ? "delete" : "replace";
    if (!opts.allowDataLoss) reasons.push(`${what} of ${s.urn} would destroy data; rerun with --allow-data-loss if that is intended`);
  }
  return { proceed: reasons.length === 0, reasons };
}

export interface ReleaseOptions {
  stack: string;
  apply: boolean;
  allowDataLoss: boolean;
  allowUnevaluated?: boolean;
  projectDir?: string;
  log?: (line: string) => void;
}

/** Runs a release against an engine; returns the process exit code. */
export async function release(engine: ReleaseEngine, o: ReleaseOptions): Promise<number> {
  const log = o.log ?? console.log;
  try {
    validateStackConfig(readStackFile(o.projectDir ?? defaultProjectDir, o.stack).values, `config of stack "${o.stack}"`);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    log(`release: ${e.message}`);
    return 1;
  }
  const plan = await engine.preview();
  const counts = new Map<string, number>();
  for (const s of plan.steps) counts.set(s.op, (counts.get(s.op) ?? 0) + 1);
  log(`release ${o.stack}: plan ${[...counts].map(([op, n]) => `${n} ${op}`).join(", ") || "no changes"}`);
  for (const f of plan.policy) log(`  policy ${f.level} ${f.policy}${f.urn ? ` (${f.urn})` : ""}: ${f.message}`);
  const decision = decide(plan, { allowDataLoss: o.allowDataLoss, allowUnevaluated: o.allowUnevaluated });
  if (!decision.proceed) {
    for (const r of decision.reasons) log(`  blocked: ${r}`);
    return 1;
  }
  if (!o.apply) {
    log("  dry run: rerun with --yes to apply");
    return 0;
  }
  const { outputs } = await engine.up();
  log(`release ${o.stack}: applied; outputs: ${Object.keys(outputs).sort().join(", ")}`);
  return 0;
}

/**
 * The real engine for a stack: previews and updates with the policy pack, through the Automation API. The update is
 * bound to the previewed plan: if anything differs from what was reviewed (edited config, drift, a concurrent run),
 * the CLI stops the update instead of applying it. Any stack works: the project's own (`projectStack`) or an inline
 * program's (the engine end-to-end suite).
 */
export function automationEngine(
  s: Stack,
  policy: { policyPacks: string[]; policyPackConfigs?: string[] },
  log: (text: string) => void = (t) => process.stdout.write(t),
): ReleaseEngine {
  const { policyPacks, policyPackConfigs = [] } = policy;
  const plan = path.join(mkdtempSync(path.join(tmpdir(), "release-")), "plan.json");
  return {
    async preview() {
      const steps: PlannedStep[] = [];
      const policy: PolicyFinding[] = [];
      await s.preview({
        policyPacks,
        policyPackConfigs,
        plan,
        onEvent: (e) => {
          if (e.resourcePreEvent) steps.push({ op: e.resourcePreEvent.metadata.op, urn: e.resourcePreEvent.metadata.urn, type: e.resourcePreEvent.metadata.type });
          if (e.policyEvent) {
            policy.push({ policy: e.policyEvent.policyName, level: e.policyEvent.enforcementLevel, urn: e.policyEvent.resourceUrn, message: e.policyEvent.message });
          }
        },
      }).catch((e: unknown) => {
        // A mandatory violation makes the CLI exit non-zero; the findings collected above say why.
        if (!policy.some((f) => f.level === "mandatory")) throw e;
      });
      return { steps, policy };
    },
    async up() {
      const controller = new AbortController();
      const abort = () => controller.abort();
      process.once("SIGINT", abort);
      try {
        const r = await s.up({ policyPacks, policyPackConfigs, plan, onOutput: log, signal: controller.signal });
        return { outputs: Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value])) };
      } finally {
        process.removeListener("SIGINT", abort);
      }
    },
  };
}

/** The project's stack `name` (it must exist: a misspelt name must not create an empty stack whose preview is all creates). */
export async function projectStack(name: string, projectDir = defaultProjectDir): Promise<Stack> {
  const { LocalWorkspace } = await import("@pulumi/pulumi/automation/index.js");
  return LocalWorkspace.selectStack({ stackName: name, workDir: projectDir });
}

export function parseReleaseArgs(argv: string[]): ReleaseOptions & { policyPack: string; policyPackConfig?: string } {
  const o: ReleaseOptions & { policyPack: string; policyPackConfig?: string } = {
    stack: "", apply: false, allowDataLoss: false, allowUnevaluated: false, policyPack: "policies",
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--yes") o.apply = true;
    else if (a === "--allow-data-loss") o.allowDataLoss = true;
    else if (a === "--allow-unevaluated-policies") o.allowUnevaluated = true;
    else if (["--stack", "--policy-pack", "--policy-pack-config"].includes(a) && argv[i + 1] && !argv[i + 1].startsWith("--")) {
      if (a === "--stack") o.stack = argv[++i];
      else if (a === "--policy-pack") o.policyPack = argv[++i];
      else o.policyPackConfig = argv[++i];
    } else throw new Error(`release: unknown or incomplete argument "${a}"`);
  }
  if (!o.stack) throw new Error("release: --stack <name> is required");
  return o;
}

if (require.main === module) {
  (async () => {
    const o = parseReleaseArgs(process.argv.slice(2));
    const policy = {
      policyPacks: [path.resolve(defaultProjectDir, o.policyPack)],
      policyPackConfigs: o.policyPackConfig ? [path.resolve(o.policyPackConfig)] : [],
    };
    return release(automationEngine(await projectStack(o.stack), policy), o);
  })().then(
    (code) => process.exit(code),
    (e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
