import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type AppIdentity, childName, metadataFor, objectName, peerServiceName, selectorLabels } from "./labels";

/**
 * The Services of every tier, built one way.
 *
 * Naming rule:
 * - A workload's own Service, the one its clients address, is named after the instance (`<instance>`): the name
 *   `serviceHost` and `serviceUrl` in topology.ts resolve. It is ClusterIP when the cluster should balance connections,
 *   and headless when the clients balance over the pods themselves (trace-ID routing, gRPC round robin, memcached's
 *   hash ring); a headless workload Service publishes ready pods only.
 * - A workload that must also publish every pod, ready or not (stable StatefulSet pod DNS names, gossip that forms
 *   before readiness), has a second, headless peer Service named `<instance>-headless`.
 * - The Pulumi logical name of either is `<component>-<metadata.name>` (see {@link childName}), as for the workloads'
 *   NetworkPolicies (network.ts).
 *
 * Every port targets the container port of the same name, so the Service never repeats a container's port number.
 */

/** One port of a Service; `name` is also the name of the container port it targets. */
export interface ServicePort {
  name: string;
  port: number;
  protocol?: "TCP" | "UDP";
  appProtocol?: string;
}

interface ServiceBase {
  /** The workload whose pods the Service selects and whose labels it carries. */
  id: AppIdentity;
  namespace: string;
  ports: ServicePort[];
}

/** The workload's own Service with a virtual IP. */
export interface ClusterIpService extends ServiceBase {
  kind: "clusterIP";
  /** Keeps a client on one pod (10800 s, the API server's default timeout), for replicas that answer differently. */
  sessionAffinity?: "ClientIP";
  /** `Local`: a client only reaches the pod on its own node. */
  internalTrafficPolicy?: "Local";
  /** Spells out `type: ClusterIP`, the API server's default: the Service is the same with or without it. */
  explicitType?: true;
}

/** The workload's own Service without a virtual IP: its DNS name resolves to every ready pod. */
export interface HeadlessService extends ServiceBase {
  kind: "headless";
}

/** The second, headless Service publishing every pod of a workload, ready or not. */
export interface PeerService extends ServiceBase {
  kind: "peers";
}

export type ServiceSpec = ClusterIpService | HeadlessService | PeerService;

/** `metadata.name` of a Service by the naming rule. */
export function serviceName(spec: Pick<ServiceSpec, "id" | "kind">): string {
  return spec.kind === "peers" ? peerServiceName(spec.id) : objectName(spec.id.instance);
}

function kindSpec(spec: ServiceSpec): k8s.types.input.core.v1.ServiceSpec {
  switch (spec.kind) {
    case "peers":
      // Gossip peers must find each other before any of them reports ready.
      return { clusterIP: "None", publishNotReadyAddresses: true };
    case "headless":
      // Ready pods only: publishNotReadyAddresses stays unset, as the API server stores `false`, so an apply never
      // rewrites it.
      return { clusterIP: "None" };
    case "clusterIP":
      return {
        ...(spec.explicitType ? { type: "ClusterIP" } : {}),
        ...(spec.internalTrafficPolicy ? { internalTrafficPolicy: spec.internalTrafficPolicy } : {}),
        ...(spec.sessionAffinity ? { sessionAffinity: spec.sessionAffinity, sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } } } : {}),
      };
  }
}

/** The Service document: named by the rule, selecting exactly the workload's pods, every port targeting a named port. */
export function buildService(spec: ServiceSpec): k8s.core.v1.ServiceArgs {
  return {
    metadata: metadataFor(spec.id, spec.namespace, serviceName(spec)),
    spec: {
      ...kindSpec(spec),
      selector: selectorLabels(spec.id),
      ports: spec.ports.map((p) => ({ ...p, targetPort: p.name })),
    },
  };
}

/**
 * Registers a Service under the logical name `<component>-<metadata.name>`. A Service registered under another name
 * before carries `aliases: [{ name: <former name> }]` in `opts`, so `pulumi up` renames it in the state instead of
 * replacing it.
 */
export function deployService(component: string, spec: ServiceSpec, opts: pulumi.CustomResourceOptions): k8s.core.v1.Service {
  return new k8s.core.v1.Service(childName(component, serviceName(spec)), buildService(spec), opts);
}
