import type {
  EnforcementLevel,
  Policies,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { describe, schemaDefaults } from "./common";
import { packName, policies as packPolicies } from "./pack";
import packageJson from "./package.json";

/** The fields of a rendered resource (out/<stack>/resources.json) the runner reads. */
export interface RecordedResource {
  type: string;
  name: string;
  urn: string;
  parent?: string;
  custom: boolean;
  options: { protect: boolean; retainOnDelete?: boolean; dependsOn?: string[]; ignoreChanges?: string[]; provider?: string };
  /** Untyped JSON, as the synth records it. */
  inputs: Record<string, any>;
}

/** Per-policy configuration in the format of `pulumi preview --policy-pack-config` (plus the `all` key). */
export type PolicyPackConfig = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

export interface RunOptions {
  /** The stack's environment (staging, prod, ...), given to every policy whose config schema has `environment`. */
  environment?: string;
  config?: PolicyPackConfig;
  /** Defaults to the whole pack. */
  policies?: Policies;
  /**
   * Judge the stack as `pulumi preview` of a first deployment does: every value the render marks `[computed]` (an
   * ARN, id or endpoint no provider has returned yet, and any string built from one) is unknown to the analyzer, and a
   * policy that reads one reports the analyzer's advisory "can't run ... during preview" instead of a verdict.
   * Off, the runner judges the values as `pulumi up` does once they are known (the placeholders stand in for them).
   */
  preview?: boolean;
}

export type ViolationLevel = "advisory" | "mandatory";

export interface Violation {
  policy: string;
  enforcementLevel: ViolationLevel;
  /** What the policy reported; the CLI prints it after the policy description. */
  message: string;
  description: string;
  /** Absent for a violation of the stack as a whole. */
  urn?: string;
  type?: string;
  name?: string;
}

export interface PolicyReport {
  pack: string;
  version: string;
  environment?: string;
  resources: number;
  /** Per enabled policy: its level and on how many resources (or stacks) it applied. */
  policies: Array<{ name: string; enforcementLevel: ViolationLevel; kind: "resource" | "stack"; applied: number; violations: number }>;
  violations: Violation[];
  mandatory: number;
  advisory: number;
}

/** The SDK's unknown-value proxy (internal to @pulumi/policy, so typed here), used as the analyzer uses it. */
interface UnknownProxyModule {
  unknownCheckingProxy<T>(props: T): T;
  UnknownValueError: new (...args: never[]) => Error;
  unknownStringValue: string;
}
const unknowns = require("@pulumi/policy/proxy") as UnknownProxyModule;

/** The render's placeholder for a provider-computed value (scripts/synth/types.ts `COMPUTED`). */
export const computedPlaceholder = "[computed]";

/**
 * Inputs as the engine sends them during a first preview: a string holding a computed value is wholly unknown (an
 * Output interpolated into a string is unknown until it resolves), marshalled as the unknown sentinel.
 */
export function asPreviewInputs(value: unknown): unknown {
  if (typeof value === "string") return value.includes(computedPlaceholder) ? unknowns.unknownStringValue : value;
  if (Array.isArray(value)) return value.map(asPreviewInputs);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asPreviewInputs(v)]));
  return value;
}

const levels: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

/**
 * Thrown by `notApplicable`, as the SDK's server does, and caught by the runner. Not an Error: it is control flow,
 * thrown for every policy and resource of another type, and capturing a stack trace each time took most of a run.
 */
class NotApplicable {
  constructor(readonly reason: string) {}
}

function notApplicable(reason?: string): never {
  throw new NotApplicable(reason ?? "Policy does not apply");
}

/** The SDK's `isTypeOf`: compare with the class's `__pulumiType`, else ask `isInstance`. */
function isTypeOf(type: string, resourceClass: unknown): boolean {
  const cls = resourceClass as { __pulumiType?: unknown; isInstance?: (o: unknown) => boolean };
  if (typeof cls.__pulumiType === "string" && cls.__pulumiType.length > 0) {
    return type === cls.__pulumiType;
  }
  return typeof cls.isInstance === "function" && cls.isInstance({ __pulumiType: type }) === true;
}

function isResourcePolicy(policy: Policies[number]): policy is ResourceValidationPolicy {
  return "validateResource" in policy && policy.validateResource !== undefined;
}

function isStackPolicy(policy: Policies[number]): policy is StackValidationPolicy {
  return typeof (policy as StackValidationPolicy).validateStack === "function";
}

function optionsOf(resource: RecordedResource): PolicyResourceOptions {
  return {
    protect: resource.options.protect === true,
    ignoreChanges: resource.options.ignoreChanges ?? [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...(resource.parent ? { parent: resource.parent } : {}),
  };
}

/** Type check of a config value against the subset of JSON Schema the pack uses; returns the first problem. */
function schemaProblem(value: unknown, schema: PolicyConfigJSONSchema, path: string): string | undefined {
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  const actual = Array.isArray(value) ? "array" : value === null ? "null" : Number.isInteger(value) ? "integer" : typeof value;
  const typeOk = types.length === 0 || types.some((t) => t === actual || (t === "number" && actual === "integer"));
  if (!typeOk) {
    return `${path} is ${describe(value)}; must be of type ${types.join(" or ")}`;
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    return `${path} is ${describe(value)}; must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`;
  }
  if (Array.isArray(value) && schema.items && typeof schema.items === "object" && !Array.isArray(schema.items)) {
    const items = schema.items;
    return value.map((v, i) => schemaProblem(v, items, `${path}[${i}]`)).find((p) => p !== undefined);
  }
  if (actual === "object" && schema.properties) {
    const object = value as Record<string, unknown>;
    const missing = (schema.required ?? []).find((k) => object[k] === undefined);
    if (missing) {
      return `${path}.${missing} is unset; it is required`;
    }
    for (const [key, v] of Object.entries(object)) {
      const property = schema.properties[key];
      if (property === undefined) {
        return `${path}.${key} is not a known setting; known: ${Object.keys(schema.properties).join(", ")}`;
      }
      const problem = typeof property === "object" ? schemaProblem(v, property, `${path}.${key}`) : undefined;
      if (problem) {
        return problem;
      }
    }
  }
  return undefined;
}

interface ResolvedPolicy {
  policy: Policies[number];
  level: EnforcementLevel;
  config: Record<string, unknown>;
}

/**
 * Resolves each policy's enforcement level and config the way the CLI does: the policy's entry, then `all`, then the
 * policy's own level (the pack default is advisory); schema defaults are applied and the config is validated.
 */
export function resolvePolicies(policies: Policies, config: PolicyPackConfig = {}, environment?: string): ResolvedPolicy[] {
  const names = new Set(policies.map((p) => p.name));
  for (const [key, entry] of Object.entries(config)) {
    if (key !== "all" && !names.has(key)) {
      throw new Error(`policy config: ${describe(key)} is not a policy of this pack; known: ${[...names].join(", ")}`);
    }
    const level = typeof entry === "string" ? entry : entry.enforcementLevel;
    if (level !== undefined && !levels.includes(level)) {
      throw new Error(`policy config: ${key}.enforcementLevel is ${describe(level)}; must be one of ${levels.join(", ")}`);
    }
  }
  const all = config.all;
  const allLevel = typeof all === "string" ? all : all?.enforcementLevel;
  return policies.map((policy) => {
    const entry = config[policy.name];
    const { enforcementLevel, ...settings } = typeof entry === "object" ? entry : { enforcementLevel: entry };
    const schema = policy.configSchema;
    const withEnvironment = schema?.properties?.environment && environment !== undefined ? { environment } : {};
    const resolved = { ...schemaDefaults(schema), ...withEnvironment, ...settings };
    const problem = schemaProblem(resolved, { type: "object", properties: schema?.properties ?? {}, required: schema?.required }, policy.name);
    if (problem) {
      throw new Error(`policy config: ${problem}`);
    }
    return { policy, level: enforcementLevel ?? allLevel ?? policy.enforcementLevel ?? "advisory", config: resolved };
  });
}

function stackResources(resources: RecordedResource[], propsOf: (r: RecordedResource) => Record<string, any>): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const built = resources.map((r) => {
    const props = propsOf(r);
    const resource: PolicyResource = {
      type: r.type,
      props,
      urn: r.urn,
      name: r.name,
      opts: optionsOf(r),
      dependencies: [],
      propertyDependencies: {},
      isType: (cls) => isTypeOf(r.type, cls),
      asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as PolicyResource["asType"],
    };
    byUrn.set(r.urn, resource);
    return resource;
  });
  resources.forEach((r, i) => {
    const parent = r.parent ? byUrn.get(r.parent) : undefined;
    if (parent) {
      built[i].parent = parent;
    }
    built[i].dependencies = (r.options.dependsOn ?? []).flatMap((urn) => byUrn.get(urn) ?? []);
  });
  return built;
}

/**
 * Runs policies over a rendered stack without the Pulumi CLI, building the same `ResourceValidationArgs` (for every
 * custom resource, from its inputs) and `StackValidationArgs` (all resources) that the analyzer builds.
 */
export async function runPolicies(resources: RecordedResource[], options: RunOptions = {}): Promise<PolicyReport> {
  const resolved = resolvePolicies(options.policies ?? packPolicies, options.config, options.environment);
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const violations: Violation[] = [];
  const summary: PolicyReport["policies"] = [];
  const stackTags: ReadonlyMap<string, string> = new Map();
  // As the analyzer does: props behind the SDK's proxy, which throws UnknownValueError when a policy reads an unknown.
  const previewInputs = new Map<RecordedResource, Record<string, any>>();
  const propsOf = (r: RecordedResource): Record<string, any> => {
    if (!options.preview) return r.inputs;
    if (!previewInputs.has(r)) previewInputs.set(r, asPreviewInputs(r.inputs) as Record<string, any>);
    return unknowns.unknownCheckingProxy(previewInputs.get(r)!);
  };

  for (const { policy, level, config } of resolved) {
    if (level === "disabled") {
      continue;
    }
    const enforcementLevel: ViolationLevel = level === "advisory" ? "advisory" : "mandatory";
    const before = violations.length;
    let applied = 0;
    const report = (urn: string | undefined) => (message: string, reportedUrn?: string) => {
      const target = urn ?? reportedUrn;
      const resource = target ? byUrn.get(target) : undefined;
      violations.push({
        policy: policy.name,
        enforcementLevel,
        message,
        description: policy.description,
        ...(target ? { urn: target } : {}),
        ...(resource ? { type: resource.type, name: resource.name } : {}),
      });
    };
    const attempt = async (what: string, run: () => unknown, urn?: string) => {
      try {
        await run();
        applied += 1;
      } catch (e) {
        if (e instanceof unknowns.UnknownValueError) {
          // The analyzer's own wording (server.js), at advisory whatever the policy's level.
          const from = `policy '${policy.name}' from policy pack '${packName}@v${packageJson.version}'`;
          const before = violations.length;
          report(urn)(`can't run ${from} during preview: ${e.message}`);
          violations[before].enforcementLevel = "advisory";
          applied += 1;
        } else if (!(e instanceof NotApplicable)) {
          throw new Error(`policy ${describe(policy.name)} failed on ${what}: ${(e as Error).message}`);
        }
      }
    };
    if (isResourcePolicy(policy)) {
      const validations = [policy.validateResource ?? []].flat();
      for (const r of resources.filter((x) => x.custom !== false)) {
        const props = propsOf(r);
        const args: ResourceValidationArgs = {
          type: r.type,
          props,
          urn: r.urn,
          name: r.name,
          opts: optionsOf(r),
          stackTags,
          isType: (cls) => isTypeOf(r.type, cls),
          asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as ResourceValidationArgs["asType"],
          getConfig: <T extends object>() => config as T,
          notApplicable,
        };
        // Each validation separately, as the analyzer runs them: an unknown stops only the one that read it.
        for (const validate of validations) {
          await attempt(r.urn, () => validate(args, report(r.urn)), r.urn);
        }
      }
    } else if (isStackPolicy(policy)) {
      const args: StackValidationArgs = {
        resources: stackResources(resources, propsOf),
        stackTags,
        getConfig: <T extends object>() => config as T,
        notApplicable,
      };
      await attempt("the stack", () => policy.validateStack(args, report(undefined)));
    }
    summary.push({
      name: policy.name,
      enforcementLevel,
      kind: isStackPolicy(policy) ? "stack" : "resource",
      applied,
      violations: violations.length - before,
    });
  }
  return {
    pack: packName,
    version: packageJson.version,
    ...(options.environment ? { environment: options.environment } : {}),
    resources: resources.length,
    policies: summary,
    violations,
    mandatory: violations.filter((v) => v.enforcementLevel === "mandatory").length,
    advisory: violations.filter((v) => v.enforcementLevel === "advisory").length,
  };
}

/** Human-readable report: one line per violation (level, policy, resource, message) and a summary line. */
export function formatReport(report: PolicyReport): string {
  const rows = report.violations.map((v) => [
    v.enforcementLevel,
    v.policy,
    v.type ? `${v.type}::${v.name}` : "(stack)",
    v.message,
  ]);
  const widths = [0, 1, 2].map((i) => Math.max(0, ...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => r.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]) : cell)).join("  "));
  const checked = report.policies.length;
  lines.push(
    `${report.pack}@${report.version}: ${report.mandatory} mandatory, ${report.advisory} advisory violation(s); ` +
      `${checked} policies over ${report.resources} resources${report.environment ? ` (environment ${report.environment})` : ""}`,
  );
  return lines.join("\n");
}
