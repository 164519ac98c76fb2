import type { PolicyConfigSchema, ReportViolation, ResourceValidation, ResourceValidationArgs } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import * as pulumi from "@pulumi/pulumi";

/** Resource properties as the analyzer hands them over: untyped JSON. */
export type Props = Record<string, unknown>;

/**
 * Builds a resource validation that runs only for the given type tokens and reports itself not applicable otherwise,
 * as `validateResourceOfType` does for a single class.
 */
export function forTypes(
  types: readonly string[],
  validate: (props: Props, args: ResourceValidationArgs, reportViolation: ReportViolation) => void,
): ResourceValidation {
  return (args, reportViolation) => {
    if (!types.includes(args.type)) {
      args.notApplicable(`Policy only applies to resources of type ${types.map((t) => `'${t}'`).join(", ")}`);
    }
    validate(args.props, args, reportViolation);
  };
}

/** The value if it is a plain object, else an empty one: resource inputs are untrusted JSON. */
export function record(value: unknown): Props {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Props) : {};
}

/** The value if it is an array, else an empty one. */
export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The value if it is a string, else undefined. */
export function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Renders a value for a violation message: "unset" or its JSON form. */
export function describe(value: unknown): string {
  return value === undefined ? "unset" : JSON.stringify(value);
}

/** Whether a type token is one of a group (the group tuples are readonly literal types). */
export function isOneOf(type: string, types: readonly string[]): boolean {
  return types.includes(type);
}

/** `namespace/name` of a Kubernetes object; an object without a namespace lives in `default`. */
export function k8sId(props: Props, fallbackName: string): string {
  const metadata = record(props.metadata);
  return `${str(metadata.namespace) ?? "default"}/${str(metadata.name) ?? fallbackName}`;
}

/** The `default` of each property of a policy's config schema. */
export function schemaDefaults(schema: PolicyConfigSchema | undefined): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(schema?.properties ?? {})
      .filter(([, property]) => property.default !== undefined)
      .map(([key, property]) => [key, property.default]),
  );
}

/**
 * A policy's config with its schema defaults under it. The CLI already applies schema defaults before `Configure`;
 * doing it here too keeps the verdict the same under any harness that does not, with the schema as the one source.
 */
export function configWithDefaults<T extends object>(schema: PolicyConfigSchema, args: { getConfig<C extends object>(): C }): T {
  return { ...schemaDefaults(schema), ...args.getConfig<Partial<T>>() } as T;
}

/** Config property shared by the policies whose verdict depends on the environment (prod vs the rest). */
export const environmentProperty: PolicyConfigJSONSchema = {
  type: "string",
  description:
    "The stack's environment (the stack config key `environment`, e.g. staging or prod). When unset, the pack reads " +
    "<project>:environment from the stack config the Pulumi CLI passes to the analyzer, then falls back to the stack name.",
};

/** The environment whose stateful resources must be protected. */
export const productionEnvironment = "prod";

/** The environment on a developer machine or CI host (the `local` stack): its volumes are the host's own disk. */
export const localEnvironment = "local";

/**
 * Resolves the stack's environment: explicit policy config first, then the stack's own `environment` config (the CLI
 * exports the stack config and stack name to the analyzer process as PULUMI_CONFIG and PULUMI_NODEJS_STACK), then
 * the stack name.
 */
export function resolveEnvironment(configured: string | undefined): string {
  if (configured) {
    return configured;
  }
  const fromStackConfig = pulumi.runtime.getConfig(`${pulumi.getProject()}:environment`);
  return fromStackConfig ?? pulumi.getStack();
}
