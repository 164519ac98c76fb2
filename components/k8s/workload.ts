import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AppIdentity, labelsFor, metadataFor, objectName, selectorLabels } from "./labels";
import { hardenedPod, type PodArgs } from "./pod";

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

/**
 * A StatefulSet volume claim template. It carries no labels of its own: the StatefulSet controller labels every claim
 * it creates with the selector labels, and templates are immutable, so a version label here would turn each image
 * upgrade into a forbidden update.
 */
export function volumeClaim(name: string, storageClassName: pulumi.Input<string>, size: string): k8s.types.input.core.v1.PersistentVolumeClaim {
  return {
    metadata: { name },
    spec: { accessModes: ["ReadWriteOnce"], storageClassName, resources: { requests: { storage: size } } },
  };
}

/** The pod of a workload, as {@link hardenedPod} takes it. Spreading over nodes and zones is the builder's, from the replica count. */
export type WorkloadPod = Omit<PodArgs, "affinity" | "topologySpreadConstraints">;

/** What every workload kind is built from. */
export interface WorkloadArgs {
  /** Names the object and labels it, its pods and its selector. */
  id: AppIdentity;
  namespace: string;
  pod: WorkloadPod;
  /**
   * Hashes of what the pods read only at start, as `checksum/<key>` pod annotations: a change of any of them rolls
   * the pods.
   */
  checksums?: Record<string, string>;
}

/** One claim per replica on the given (encrypted) StorageClass. */
export interface ClaimArgs {
  name: string;
  size: string;
  storageClassName: pulumi.Input<string>;
}

export interface StatefulSetWorkload extends WorkloadArgs {
  replicas: number;
  /** The headless Service that gives each pod its stable DNS name. */
  serviceName: string;
  claims?: ClaimArgs[];
}

export interface DeploymentWorkload extends WorkloadArgs {
  replicas: number;
  /**
   * Pods a rollout may take down at once. One extra pod may always be started, so 0 means every old pod stays until
   * its replacement is ready. Independent of the PodDisruptionBudget, which governs drains.
   */
  maxUnavailable: number;
}

export type DaemonSetWorkload = WorkloadArgs;

/** The pod template: the object's labels (a superset of the selector), the checksum annotations, a hardened pod. */
function podTemplate(w: WorkloadArgs, replicas: number): k8s.types.input.core.v1.PodTemplateSpec {
  const annotations = w.checksums ? Object.fromEntries(Object.entries(w.checksums).map(([key, sum]) => [`checksum/${key}`, sum])) : undefined;
  return {
    metadata: { labels: labelsFor(w.id), ...(annotations ? { annotations } : {}) },
    spec: hardenedPod({ ...w.pod, ...spreadReplicas(w.id, replicas) }),
  };
}

/**
 * A StatefulSet whose pods start and stop in parallel (none waits on another: rings and gossip form on their own)
 * and roll one at a time. Claims survive deletion and scale-down (Retain), so Kubernetes never drops data on a
 * mistaken change; the claims of removed replicas are deleted by hand, deliberately.
 */
export function statefulSetArgs(w: StatefulSetWorkload): k8s.apps.v1.StatefulSetArgs {
  const claims = w.claims ?? [];
  return {
    metadata: metadataFor(w.id, w.namespace),
    spec: {
      serviceName: w.serviceName,
      replicas: w.replicas,
      podManagementPolicy: "Parallel",
      updateStrategy: { type: "RollingUpdate" },
      selector: { matchLabels: selectorLabels(w.id) },
      template: podTemplate(w, w.replicas),
      ...(claims.length > 0
        ? {
            persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
            volumeClaimTemplates: claims.map((c) => volumeClaim(c.name, c.storageClassName, c.size)),
          }
        : {}),
    },
  };
}

/** A Deployment of interchangeable replicas, rolled by starting one new pod at a time (maxSurge 1). */
export function deploymentArgs(w: DeploymentWorkload): k8s.apps.v1.DeploymentArgs {
  return {
    metadata: metadataFor(w.id, w.namespace),
    spec: {
      replicas: w.replicas,
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: w.maxUnavailable, maxSurge: 1 } },
      selector: { matchLabels: selectorLabels(w.id) },
      template: podTemplate(w, w.replicas),
    },
  };
}

/**
 * A DaemonSet, one pod per node, rolled one node at a time so a bad release never stops telemetry on every node at
 * once. Its pods are never spread: there is exactly one per node by construction.
 */
export function daemonSetArgs(w: DaemonSetWorkload): k8s.apps.v1.DaemonSetArgs {
  return {
    metadata: metadataFor(w.id, w.namespace),
    spec: {
      selector: { matchLabels: selectorLabels(w.id) },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
      template: podTemplate(w, 1),
    },
  };
}
