import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AppIdentity, labelsFor, objectName, selectorLabels } from "./labels";

/**
 * Scheduling for a replicated workload: never two replicas on one node (hard), spread across zones (soft, because a
 * region may have fewer zones than replicas). A single replica gets neither.
 */
export function spreadReplicas(id: AppIdentity, replicas: number): {
  affinity?: k8s.types.input.core.v1.Affinity;
  topologySpreadConstraints?: k8s.types.input.core.v1.TopologySpreadConstraint[];
} {
  if (replicas < 2) return {};
  const labelSelector = { matchLabels: selectorLabels(id) };
  return {
    affinity: {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector, topologyKey: "kubernetes.io/hostname" }],
      },
    },
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector },
    ],
  };
}

/**
 * The PodDisruptionBudget of a workload with more than one replica, selecting exactly its pods. A single replica gets
 * none: a PDB on one pod either blocks every node drain or protects nothing.
 */
export function disruptionBudget(
  name: string,
  args: { id: AppIdentity; namespace: pulumi.Input<string>; replicas: number; maxUnavailable: number },
  opts: pulumi.CustomResourceOptions,
): k8s.policy.v1.PodDisruptionBudget | undefined {
  if (args.replicas < 2) return undefined;
  return new k8s.policy.v1.PodDisruptionBudget(
    name,
    {
      metadata: { name: objectName(args.id.instance), namespace: args.namespace, labels: labelsFor(args.id) },
      spec: { maxUnavailable: args.maxUnavailable, selector: { matchLabels: selectorLabels(args.id) } },
    },
    opts,
  );
}

/** A StatefulSet volume claim template on the stack's encrypted StorageClass. */
export function volumeClaim(name: string, storageClassName: string, size: string): k8s.types.input.core.v1.PersistentVolumeClaim {
  return {
    metadata: { name },
    spec: { accessModes: ["ReadWriteOnce"], storageClassName, resources: { requests: { storage: size } } },
  };
}
