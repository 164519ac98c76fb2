import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { runInPulumiStack } from "@pulumi/pulumi/runtime/stack";
import { runProgram } from "../../components/stack";
import { ConfigError } from "../../config";
import { ProviderMocks, isSecretWrapper, unwrap } from "./mocks";
import { placeholderSecrets } from "./placeholders";
import { projectName, readStackFile } from "./stack-files";
import { COMPUTED, RecordedResource, SECRET, SynthResult } from "./types";

export * from "./types";
export { stackNames, projectName } from "./stack-files";

export const defaultProjectDir = path.resolve(__dirname, "..", "..");

export interface SynthOptions {
  stack: string;
  projectDir?: string;
  /** Replaces the stack file's values of the project namespace (keys without prefix); for tests and what-ifs. */
  config?: Record<string, unknown>;
  /** Secret values by key; missing required secrets get offline placeholders. */
  secrets?: Record<string, unknown>;
}

interface Seen {
  type: string;
  name: string;
  parent?: pulumi.Resource;
  opts: pulumi.CustomResourceOptions;
}

/**
 * Evaluates the real program for one stack on Pulumi's mock runtime and records every resource it registers: type,
 * name, URN, parent, resource options and inputs. Nothing is deployed and no provider plugin is needed.
 *
 * Runs may follow each other in one process: each call installs fresh mocks, config and a fresh root stack resource.
 */
export async function synthStack(opts: SynthOptions): Promise<SynthResult> {
  const projectDir = opts.projectDir ?? defaultProjectDir;
  const project = projectName(projectDir);
  const file = readStackFile(projectDir, opts.stack);
  const values = opts.config ?? file.values;
  const region = String((values.cluster as { region?: string } | undefined)?.region ?? "us-east-1");
  const provided = opts.secrets ?? {};
  const { secrets, placeholders } = placeholderSecrets(values, provided);

  const mocks = new ProviderMocks(region);
  const registered: pulumi.runtime.MockResourceArgs[] = [];
  const recordingMocks: pulumi.runtime.Mocks = {
    newResource: (args) => {
      registered.push(args);
      return mocks.newResource(args);
    },
    call: (args) => mocks.call(args),
  };
  await pulumi.runtime.setMocks(recordingMocks, project, opts.stack, false);
  const allConfig: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...file.others })) allConfig[key] = encode(value);
  for (const [key, value] of Object.entries(values)) allConfig[`${project}:${key}`] = encode(value);
  for (const [key, value] of Object.entries(secrets)) allConfig[`${project}:${key}`] = encode(value);
  pulumi.runtime.setAllConfig(allConfig, Object.keys(secrets).map((k) => `${project}:${k}`));

  const seen = new Map<pulumi.Resource, Seen>();
  const traces = quietStackTraces();
  let outputs: Record<string, unknown>;
  let program: Record<string, pulumi.Input<unknown>> = {};
  try {
    outputs = (await runInPulumiStack(async () => {
      pulumi.runtime.registerStackTransformation((t) => {
        seen.set(t.resource, { type: t.type, name: t.name, parent: t.opts.parent, opts: t.opts });
        return undefined;
      });
      program = runProgram();
      return program;
    })) as Record<string, unknown>;
    // Resource registrations are asynchronous; wait until the mock monitor has seen every one (not in the typings).
    await (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  } catch (e) {
    traces.explain(e);
    throw e;
  } finally {
    traces.restore();
  }

  const resources = record(registered, seen, project, opts.stack, mocks.computed);
  const environment = String(values.environment ?? "");
  return {
    stack: opts.stack,
    project,
    environment,
    resources,
    outputs: { ...(redact(outputs, mocks.computed) as Record<string, unknown>), ...(await secretOutputs(program)) },
    placeholderSecrets: placeholders,
  };
}

/** Set to 1 to keep source-mapped stack traces while the program runs (slower; for debugging a failing program). */
export const stackTracesVariable = "SYNTH_STACK_TRACES";

/**
 * The SDK captures a stack trace for every internal promise and every resource (its source position), and under
 * ts-node each capture is source-mapped frame by frame: that took 60% of a render. The mock runtime has no use for
 * either, so while the program runs, traces are off and V8 formats what is left. An error thrown by the program then
 * carries a hint instead of frames; SYNTH_STACK_TRACES=1 brings them back.
 */
export function quietStackTraces(): { restore(): void; explain(e: unknown): void } {
  if (process.env[stackTracesVariable] === "1") return { restore: () => undefined, explain: () => undefined };
  const error = Error as { prepareStackTrace?: ErrorConstructor["prepareStackTrace"] };
  const saved = { format: error.prepareStackTrace, limit: Error.stackTraceLimit };
  error.prepareStackTrace = undefined;
  Error.stackTraceLimit = 0;
  return {
    restore() {
      error.prepareStackTrace = saved.format;
      Error.stackTraceLimit = saved.limit;
    },
    explain(e: unknown) {
      if (e instanceof Error && !(e instanceof ConfigError)) {
        e.stack = `${e.stack ?? e.message}\n    (no stack trace: rerun with ${stackTracesVariable}=1 to see where it was thrown)`;
      }
    },
  };
}

/** Stack outputs the program marked secret, as "[secret]" (the resolved values no longer say so). */
async function secretOutputs(program: Record<string, pulumi.Input<unknown>>): Promise<Record<string, string>> {
  const secret: Record<string, string> = {};
  for (const [key, value] of Object.entries(program)) {
    if (pulumi.Output.isInstance(value) && (await pulumi.isSecret(value))) secret[key] = SECRET;
  }
  return secret;
}

function encode(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function record(
  registered: pulumi.runtime.MockResourceArgs[],
  seen: Map<pulumi.Resource, Seen>,
  project: string,
  stack: string,
  computed: Set<string>,
): RecordedResource[] {
  const byResource = new Map<pulumi.Resource, { urn: string; protect: boolean }>();
  const stackUrn = `urn:pulumi:${stack}::${project}::pulumi:pulumi:Stack::${project}-${stack}`;
  const urnOf = (res: pulumi.Resource | undefined): { urn: string; protect: boolean; type: string } | undefined => {
    if (!res) return undefined;
    const s = seen.get(res);
    if (!s) return { urn: stackUrn, protect: false, type: "pulumi:pulumi:Stack" };
    const known = byResource.get(res);
    const parent = urnOf(s.parent);
    const qualified = parent && parent.type !== "pulumi:pulumi:Stack" ? `${qualifiedType(parent.urn)}$${s.type}` : s.type;
    const entry = known ?? { urn: `urn:pulumi:${stack}::${project}::${qualified}::${s.name}`, protect: s.opts.protect ?? parent?.protect ?? false };
    byResource.set(res, entry);
    return { ...entry, type: s.type };
  };
  const index = new Map<string, [pulumi.Resource, Seen]>();
  for (const [res, s] of seen) index.set(`${s.type}::${s.name}`, [res, s]);

  const out: RecordedResource[] = [];
  for (const args of registered) {
    if (args.type === "pulumi:pulumi:Stack") continue;
    const hit = index.get(`${args.type}::${args.name}`);
    const res = hit?.[0];
    const s = hit?.[1];
    const self = urnOf(res);
    const parent = s ? urnOf(s.parent) : undefined;
    const dependsOn = s ? (toArray(s.opts.dependsOn) as pulumi.Resource[]).map((d) => urnOf(d)?.urn ?? "[unknown]") : [];
    out.push({
      type: args.type,
      name: args.name,
      urn: self?.urn ?? `urn:pulumi:${stack}::${project}::${args.type}::${args.name}`,
      ...(args.type.startsWith("pulumi:providers:") ? {} : { parent: parent?.urn ?? stackUrn }),
      custom: args.custom ?? true,
      options: {
        protect: self?.protect ?? false,
        retainOnDelete: s?.opts.retainOnDelete ?? false,
        dependsOn,
        ignoreChanges: s?.opts.ignoreChanges ?? [],
        ...(args.provider ? { provider: providerUrn(args.provider) } : {}),
      },
      inputs: redactInputs(args.type, args.inputs, computed),
    });
  }
  return out;
}

/**
 * The URN in a provider reference ("<urn>::<id>"; URNs contain "::" themselves). The mock monitor qualifies
 * top-level types with the stack's type, which the engine does not: dropped, so it matches the provider's own URN.
 */
function providerUrn(reference: string): string {
  return reference.slice(0, reference.lastIndexOf("::")).replace("::pulumi:pulumi:Stack$", "::");
}

function qualifiedType(urn: string): string {
  return urn.split("::")[2];
}

function toArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** Kubernetes Secret payloads are secret whatever produced them: the render never writes them to disk. */
function redactInputs(type: string, inputs: Record<string, any>, computed: Set<string>): Record<string, any> {
  const clean = redact(inputs, computed) as Record<string, any>;
  if (type === "kubernetes:core/v1:Secret") {
    for (const field of ["data", "stringData"]) {
      // Test the raw input: the SDK marks a Secret's whole payload secret, so `clean` holds only "[secret]".
      const raw = unwrap(inputs[field]);
      if (raw && typeof raw === "object") clean[field] = Object.fromEntries(Object.keys(raw).map((k) => [k, SECRET]));
    }
  }
  return clean;
}

/** Replaces secrets by "[secret]" and every provider-computed value (also inside longer strings) by "[computed]". */
export function redact(value: any, computed: Set<string>): any {
  if (isSecretWrapper(value)) return SECRET;
  if (Array.isArray(value)) return value.map((v) => redact(v, computed));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, computed)]));
  if (typeof value === "string") {
    let text = value;
    for (const c of computed) if (text.includes(c)) text = text.split(c).join(COMPUTED);
    return text;
  }
  return value;
}
