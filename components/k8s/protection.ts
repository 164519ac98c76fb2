import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config";

/** Whether the stack protects the resources that hold data: `protectData`, on by default (and always) in prod. */
export function protectsData(c: Pick<StackConfig, "environment" | "protectData">): boolean {
  return c.protectData ?? c.environment === "prod";
}

/**
 * Options for a resource that holds data (volumes, buckets, keys, databases, the namespaces that own PVCs). When the
 * stack protects data, `pulumi destroy` or an accidental replacement stops instead of dropping it; otherwise (local
 * and test stacks by default) the stack can be torn down.
 */
export function dataProtection(c: Pick<StackConfig, "environment" | "protectData">, parent: pulumi.Resource): pulumi.CustomResourceOptions {
  return protectionOptions(protectsData(c), parent);
}

/** {@link dataProtection} for a builder handed the decision ({@link protectsData}) rather than the config. */
export function protectionOptions(protect: boolean, parent: pulumi.Resource): pulumi.CustomResourceOptions {
  return protect ? { parent, protect: true } : { parent };
}
