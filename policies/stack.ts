import type { PolicyConfigSchema, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import {
  type Props,
  configWithDefaults,
  describe,
  environmentProperty,
  isOneOf,
  list,
  localEnvironment,
  productionEnvironment,
  record,
  resolveEnvironment,
  str,
} from "./common";
import { aws, k8s } from "./tokens";
import { podLabelsOf, selectorMatches, workloadTypes } from "./workloads";

function metadataOf(resource: PolicyResource): { namespace: string; name: string } {
  const metadata = record(resource.props.metadata);
  return { namespace: str(metadata.namespace) ?? "default", name: str(metadata.name) ?? resource.name };
}

function kindOf(resource: PolicyResource): string {
  return str(resource.props.kind) ?? resource.type.split(":").pop() ?? resource.type;
}

/** Controllers whose replicas a voluntary disruption (node drain) can take down together. */
const replicatedTypes: readonly string[] = [k8s.deployment, k8s.statefulSet, k8s.replicaSet];

export const pdbForReplicatedWorkloads: StackValidationPolicy = {
  name: "k8s-pdb-for-replicated-workloads",
  description: "Every workload with more than one replica has a PodDisruptionBudget in its namespace that selects its pods.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const budgets = args.resources.filter((r) => r.type === k8s.podDisruptionBudget);
    for (const workload of args.resources.filter((r) => isOneOf(r.type, replicatedTypes))) {
      const replicas = record(workload.props.spec).replicas ?? 1;
      if (typeof replicas !== "number" || replicas <= 1) {
        continue;
      }
      const { namespace, name } = metadataOf(workload);
      const labels = podLabelsOf(workload.type, workload.props);
      const selected = budgets.some((budget) => {
        const selector = record(budget.props.spec).selector;
        // In policy/v1 a null selector selects no pods, an empty one selects all.
        return metadataOf(budget).namespace === namespace && selector !== undefined && selectorMatches(record(selector), labels);
      });
      if (!selected) {
        reportViolation(
          `${kindOf(workload)} ${namespace}/${name} has ${replicas} replicas but no PodDisruptionBudget in ${describe(namespace)} selects its pod labels ${describe(labels)}`,
          workload.urn,
        );
      }
    }
  },
};

/** A NetworkPolicy that selects every pod of its namespace for both directions and allows nothing. */
export function isDefaultDeny(props: Props): boolean {
  const spec = record(props.spec);
  const selector = record(spec.podSelector);
  const selectsAll = Object.keys(record(selector.matchLabels)).length === 0 && list(selector.matchExpressions).length === 0;
  const types = list(spec.policyTypes);
  return (
    selectsAll && types.includes("Ingress") && types.includes("Egress") && list(spec.ingress).length === 0 && list(spec.egress).length === 0
  );
}

export const namespaceDefaultDeny: StackValidationPolicy = {
  name: "k8s-namespace-default-deny",
  description:
    "Every Namespace of the stack that runs workloads has a default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, no rules).",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const workloadNamespaces = new Set(
      args.resources.filter((r) => isOneOf(r.type, workloadTypes)).map((r) => metadataOf(r).namespace),
    );
    const denied = new Set(
      args.resources
        .filter((r) => r.type === k8s.networkPolicy && isDefaultDeny(r.props))
        .map((r) => metadataOf(r).namespace),
    );
    for (const namespace of args.resources.filter((r) => r.type === k8s.namespace)) {
      const { name } = metadataOf(namespace);
      if (workloadNamespaces.has(name) && !denied.has(name)) {
        reportViolation(
          `Namespace ${describe(name)} runs workloads but has no default-deny NetworkPolicy; must have one with podSelector {}, policyTypes ["Ingress","Egress"] and no rules`,
          namespace.urn,
        );
      }
    }
  },
};

export interface StorageConfig {
  provisioners: string[];
}

const storageSchema: PolicyConfigSchema = {
  properties: {
    environment: environmentProperty,
    provisioners: {
      type: "array",
      items: { type: "string" },
      description: 'CSI provisioners whose StorageClasses count as encrypted when parameters.encrypted is "true".',
      default: ["ebs.csi.aws.com"],
    },
  },
};

/** StatefulSets in every apps version, and patches of them, which can carry volumeClaimTemplates too. */
const statefulSetTypes: readonly string[] = workloadTypes.filter((t) => /:StatefulSet(?:Patch)?$/.test(t));

export const pvcEncryptedStorageClass: StackValidationPolicy = {
  name: "k8s-pvc-encrypted-storage-class",
  description:
    "Every PersistentVolumeClaim (standalone or a StatefulSet volumeClaimTemplate) names an encrypted StorageClass of " +
    "this stack, except in the local environment (volumes on a developer machine or CI host, the host's own disk).",
  enforcementLevel: "mandatory",
  configSchema: storageSchema,
  validateStack: (args, reportViolation) => {
    const { provisioners, environment } = configWithDefaults<StorageConfig & EnvironmentConfig>(storageSchema, args);
    const resolved = resolveEnvironment(environment);
    if (resolved === localEnvironment) {
      args.notApplicable(`environment ${describe(resolved)}: volumes live on the host's own disk`);
      return;
    }
    const encrypted = args.resources
      .filter((r) => r.type === k8s.storageClass)
      .filter((r) => provisioners.includes(String(r.props.provisioner)) && record(r.props.parameters).encrypted === "true")
      .map((r) => metadataOf(r).name);
    const allowed = encrypted.length ? encrypted.map((n) => `"${n}"`).join(", ") : "none defined in this stack";
    const check = (resource: PolicyResource, where: string, spec: Props) => {
      if (!encrypted.includes(String(spec.storageClassName))) {
        reportViolation(
          `${where}: spec.storageClassName is ${describe(spec.storageClassName)}; must be an encrypted StorageClass (${allowed})`,
          resource.urn,
        );
      }
    };
    for (const resource of args.resources) {
      const { namespace, name } = metadataOf(resource);
      if (resource.type === k8s.persistentVolumeClaim) {
        check(resource, `PersistentVolumeClaim ${namespace}/${name}`, record(resource.props.spec));
      } else if (statefulSetTypes.includes(resource.type)) {
        list(record(resource.props.spec).volumeClaimTemplates).forEach((t, i) => {
          const template = record(t);
          const where = `StatefulSet ${namespace}/${name} volumeClaimTemplates[${i}] "${str(record(template.metadata).name) ?? "?"}"`;
          check(resource, where, record(template.spec));
        });
      }
    }
  },
};

/**
 * Resources whose deletion loses data, so in prod they need the `protect` option. Analyzers see `protect` but not
 * `retainOnDelete` (the analyzer protocol's resource options have no such field), so `protect` is what is enforced.
 */
const protectedTypes: readonly string[] = [
  ...aws.s3Bucket,
  aws.kmsKey,
  aws.rdsInstance,
  aws.rdsCluster,
  aws.opensearchDomain,
  k8s.persistentVolumeClaim,
];

interface EnvironmentConfig {
  environment?: string;
}

export const statefulResourcesProtected: StackValidationPolicy = {
  name: "stateful-resources-protected",
  description:
    `In ${productionEnvironment}, resources that hold data are protected: S3 buckets, KMS keys, RDS, OpenSearch, PVCs and ` +
    "the Namespaces that hold claims; StatefulSets keep their claims (persistentVolumeClaimRetentionPolicy Retain).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { environment: environmentProperty } },
  validateStack: (args, reportViolation) => {
    const environment = resolveEnvironment(args.getConfig<EnvironmentConfig>().environment);
    if (environment !== productionEnvironment) {
      args.notApplicable(`environment ${describe(environment)} is not ${describe(productionEnvironment)}`);
    }
    const claimNamespaces = new Set(
      args.resources
        .filter(
          (r) =>
            r.type === k8s.persistentVolumeClaim ||
            (r.type === k8s.statefulSet && list(record(r.props.spec).volumeClaimTemplates).length > 0),
        )
        .map((r) => metadataOf(r).namespace),
    );
    for (const resource of args.resources) {
      const label = resource.type.startsWith("kubernetes:")
        ? `${kindOf(resource)} ${describe(metadataOf(resource).name)}`
        : `${resource.type} ${describe(resource.name)}`;
      const holdsClaims = resource.type === k8s.namespace && claimNamespaces.has(metadataOf(resource).name);
      if ((isOneOf(resource.type, protectedTypes) || holdsClaims) && !resource.opts.protect) {
        const reason = holdsClaims ? "holds persistent volume claims (deleting it deletes them)" : "holds data";
        reportViolation(`${label} ${reason} but protect is false; must be protected in ${productionEnvironment}`, resource.urn);
      }
      if (resource.type === k8s.statefulSet) {
        const retention = record(record(resource.props.spec).persistentVolumeClaimRetentionPolicy);
        for (const field of ["whenDeleted", "whenScaled"]) {
          if (retention[field] === "Delete") {
            const { namespace, name } = metadataOf(resource);
            reportViolation(
              `StatefulSet ${namespace}/${name} spec.persistentVolumeClaimRetentionPolicy.${field} is "Delete"; must be "Retain" or unset in ${productionEnvironment}`,
              resource.urn,
            );
          }
        }
      }
    }
  },
};

export const stackPolicies: StackValidationPolicy[] = [
  pdbForReplicatedWorkloads,
  namespaceDefaultDeny,
  pvcEncryptedStorageClass,
  statefulResourcesProtected,
];
