import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AppIdentity, imageVersion, labelsFor, objectName, selectorLabels } from "../k8s/labels";
import { volumeClaim } from "../k8s/workload";

type PodSpec = k8s.types.input.core.v1.PodSpec;

/** The identity of a workload at the image it runs, so the version label follows the configured image. */
export function identityAt(id: AppIdentity, image: string): AppIdentity {
  return { ...id, version: imageVersion(image) };
}

/** `metadata.name` of the headless Service that gives each StatefulSet pod a stable DNS name. */
export function headlessName(id: AppIdentity): string {
  return objectName(id.instance, "headless");
}

/** The env var with the pod's own name or IP, from the downward API. */
export function fieldEnv(name: string, fieldPath: "metadata.name" | "status.podIP"): k8s.types.input.core.v1.EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

/**
 * A StatefulSet with one claim per replica on the stack's encrypted StorageClass. Claims survive deletion and
 * scale-down (Retain), so a mistaken change never drops data; pods start in parallel because none waits on another.
 */
export function statefulSetArgs(args: {
  id: AppIdentity;
  namespace: string;
  replicas: number;
  pod: PodSpec;
  claim: { name: string; size: string; storageClassName: pulumi.Input<string> };
  annotations?: Record<string, string>;
}): k8s.apps.v1.StatefulSetArgs {
  const template = volumeClaim(args.claim.name, "", args.claim.size);
  return {
    metadata: { name: args.id.instance, namespace: args.namespace, labels: labelsFor(args.id) },
    spec: {
      serviceName: headlessName(args.id),
      replicas: args.replicas,
      podManagementPolicy: "Parallel",
      updateStrategy: { type: "RollingUpdate" },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      selector: { matchLabels: selectorLabels(args.id) },
      template: {
        metadata: { labels: labelsFor(args.id), ...(args.annotations ? { annotations: args.annotations } : {}) },
        spec: args.pod,
      },
      volumeClaimTemplates: [
        {
          ...template,
          metadata: { ...template.metadata, labels: labelsFor(args.id) },
          spec: { ...(template.spec as object), storageClassName: args.claim.storageClassName },
        },
      ],
    },
  };
}

/**
 * The headless Service of a StatefulSet. Not-ready pods are published too: gossip peers must find each other
 * before any of them reports ready.
 */
export function headlessServiceArgs(id: AppIdentity, namespace: string, ports: k8s.types.input.core.v1.ServicePort[]): k8s.core.v1.ServiceArgs {
  return {
    metadata: { name: headlessName(id), namespace, labels: labelsFor(id) },
    spec: { clusterIP: "None", publishNotReadyAddresses: true, selector: selectorLabels(id), ports },
  };
}

/** The ClusterIP Service named after the instance (what `serviceUrl` in topology.ts points at). */
export function clusterServiceArgs(
  id: AppIdentity,
  namespace: string,
  ports: k8s.types.input.core.v1.ServicePort[],
  sessionAffinity?: "ClientIP",
): k8s.core.v1.ServiceArgs {
  return {
    metadata: { name: id.instance, namespace, labels: labelsFor(id) },
    spec: {
      type: "ClusterIP",
      selector: selectorLabels(id),
      ports,
      ...(sessionAffinity ? { sessionAffinity, sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } } } : {}),
    },
  };
}
