import * as k8s from "@pulumi/kubernetes";
import { AppIdentity, labelsFor, objectName, selectorLabels } from "../k8s/labels";

/** `metadata.name` of the headless Service that gives each StatefulSet pod a stable DNS name. */
export function headlessName(id: AppIdentity): string {
  return objectName(id.instance, "headless");
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
