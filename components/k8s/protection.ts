import * as pulumi from "@pulumi/pulumi";
import type { Environment } from "../../config/platform";

/**
 * Options for a resource that holds data (volumes, buckets, keys, databases, the namespaces that own PVCs). In prod it
 * is protected, so `pulumi destroy` or an accidental replacement stops instead of dropping data; elsewhere it is not,
 * so test stacks can be torn down.
 */
export function dataProtection(environment: Environment, parent: pulumi.Resource): pulumi.CustomResourceOptions {
  return environment === "prod" ? { parent, protect: true } : { parent };
}
