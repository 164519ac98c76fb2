import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config";
import { namespaceOf, topology, type Namespaces, type Workload } from "../topology";
import { childName, objectName, selectorLabels } from "./labels";

type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type PolicyPort = k8s.types.input.networking.v1.NetworkPolicyPort;

/**
 * A label selector as the API server stores it: an empty `matchLabels` is dropped by the server, so writing one would
 * make every apply rewrite the object (a diff on each refresh). Every pod is `{}`.
 */
function selector(labels: Record<string, string>): { matchLabels?: Record<string, string> } {
  return Object.keys(labels).length > 0 ? { matchLabels: labels } : {};
}

/** Pods in a namespace (by its immutable `kubernetes.io/metadata.name` label) matching some labels. */
export function podsIn(namespace: string, podLabels: Record<string, string> = {}): Peer {
  return { namespaceSelector: selector({ "kubernetes.io/metadata.name": namespace }), podSelector: selector(podLabels) };
}

/** The pods of one of the stack's workloads, wherever its namespace is: the one peer every tier names workloads by. */
export function workloadPods(namespaces: Namespaces, w: Workload): Peer {
  return podsIn(namespaceOf(namespaces, w), selectorLabels(topology[w].id));
}

/** Prometheus scraping one of the stack's workloads: from Prometheus' pods, to the workload's metrics port. */
export function scrapedByPrometheus(namespaces: Namespaces, w: Workload): Flow {
  const e = topology[w];
  return { peers: [workloadPods(namespaces, "prometheus")], ports: tcp(e.ports[e.metricsPort]) };
}

/** The ingress controller's pods: the only way in from outside the cluster. */
export function ingressControllerPods(c: Pick<StackConfig, "network">): Peer {
  return podsIn(c.network.ingressController.namespace, c.network.ingressController.podLabels);
}

/** Pods in any namespace carrying `namespaceLabels`. */
export function podsInNamespacesLabelled(namespaceLabels: Record<string, string>, podLabels: Record<string, string> = {}): Peer {
  return { namespaceSelector: selector(namespaceLabels), podSelector: selector(podLabels) };
}

export function cidrs(blocks: readonly string[]): Peer[] {
  return blocks.map((cidr) => ({ ipBlock: { cidr } }));
}

export function tcp(...ports: (number | string)[]): PolicyPort[] {
  return ports.map((port) => ({ protocol: "TCP", port }));
}

export function udp(...ports: (number | string)[]): PolicyPort[] {
  return ports.map((port) => ({ protocol: "UDP", port }));
}

export interface Flow {
  peers: Peer[];
  ports: PolicyPort[];
}

/**
 * One NetworkPolicy that opens exactly the listed flows for the selected pods, on top of the namespace's default deny.
 * A direction with no flows is listed in `policyTypes` only, so it stays closed for these pods: the API server drops an
 * empty `ingress`/`egress` list, and writing one would rewrite the object on every apply.
 */
export function allowFlows(
  resourceName: string,
  args: {
    /** `metadata.name` of the policy. */
    name: string;
    namespace: pulumi.Input<string>;
    podSelector: Record<string, string>;
    ingress?: Flow[];
    egress?: Flow[];
    labels?: Record<string, string>;
  },
  opts: pulumi.CustomResourceOptions,
): k8s.networking.v1.NetworkPolicy {
  return new k8s.networking.v1.NetworkPolicy(
    resourceName,
    {
      metadata: { name: objectName(args.name), namespace: args.namespace, ...(args.labels ? { labels: args.labels } : {}) },
      spec: {
        podSelector: selector(args.podSelector),
        policyTypes: ["Ingress", "Egress"],
        ...(args.ingress?.length ? { ingress: args.ingress.map((f) => ({ from: f.peers, ports: f.ports })) } : {}),
        ...(args.egress?.length ? { egress: args.egress.map((f) => ({ to: f.peers, ports: f.ports })) } : {}),
      },
    },
    opts,
  );
}

/**
 * One NetworkPolicy as data: the pods it selects and exactly the flows it opens. Tiers list theirs with plain
 * functions (testable without Pulumi) and register them with {@link deployNetworkPolicies}.
 */
export interface PolicySpec {
  /** `metadata.name`: the instance of the workload whose pods it selects. */
  name: string;
  namespace: string;
  podSelector: Record<string, string>;
  ingress: Flow[];
  egress: Flow[];
  labels?: Record<string, string>;
}

/** The policy of one of the stack's workloads: named after its instance, in its namespace, selecting its pods. */
export function workloadPolicy(namespaces: Namespaces, w: Workload, flows: Pick<PolicySpec, "ingress" | "egress">): PolicySpec {
  const id = topology[w].id;
  return { name: id.instance, namespace: namespaceOf(namespaces, w), podSelector: selectorLabels(id), ...flows };
}

/**
 * Registers each policy under the logical name `<component>-<metadata.name>` ({@link childName}). Each was
 * registered as `<component>-netpol-<metadata.name>` before; the alias moves it in the state instead of replacing it.
 */
export function deployNetworkPolicies(component: string, policies: readonly PolicySpec[], parent: pulumi.Resource): void {
  for (const policy of policies) {
    allowFlows(childName(component, policy.name), policy, { parent, aliases: [{ name: `${component}-netpol-${policy.name}` }] });
  }
}
