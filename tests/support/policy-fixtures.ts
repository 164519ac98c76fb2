import type { Policies } from "@pulumi/policy";
import { type PolicyPackConfig, type RecordedResource, runPolicies } from "../../policies/offline";

export type Json = Record<string, any>;

export const stackUrn = "urn:pulumi:prod::sigma-observability::pulumi:pulumi:Stack::sigma-observability-prod";

/** A recorded resource of the prod stack, as the render writes it, for feeding policies directly. */
export function recorded(type: string, name: string, inputs: Json, protect = false): RecordedResource {
  return {
    type,
    name,
    urn: `urn:pulumi:prod::sigma-observability::${type}::${name}`,
    parent: stackUrn,
    custom: true,
    options: { protect, retainOnDelete: false, dependsOn: [], ignoreChanges: [] },
    inputs,
  };
}

/** The violation messages one policy reports over some resources, through the offline runner (the CLI's args). */
export async function violationMessages(
  policy: Policies[number],
  resources: RecordedResource[],
  options: { environment?: string; config?: PolicyPackConfig } = {},
): Promise<string[]> {
  const report = await runPolicies(resources, { policies: [policy], environment: options.environment ?? "prod", config: options.config });
  return report.violations.map((v) => v.message);
}
