import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config";
import { selectorLabels } from "../k8s/labels";
import { type Flow, allowFlows, cidrs, podsIn, tcp } from "../k8s/network";
import { namespaceOf, topology } from "../topology";

/** The pods of a workload in the topology, as a NetworkPolicy peer. */
function pods(c: StackConfig, w: keyof typeof topology) {
  return podsIn(namespaceOf(c, w), selectorLabels(topology[w].id));
}

const prometheusScrapes = (c: StackConfig, port: number): Flow => ({ peers: [pods(c, "prometheus")], ports: tcp(port) });

/** One workload's NetworkPolicy: which pods it selects and the flows it opens. */
export interface PolicySpec {
  name: string;
  namespace: string;
  podSelector: Record<string, string>;
  ingress: Flow[];
  egress: Flow[];
}

/**
 * Every flow of the logging tier, on both ends where both are ours: agent -> Loki (OTLP/HTTP), Loki <-> Loki
 * (memberlist, gRPC, HTTP), Loki -> memcached, Loki -> S3/STS on 443 (only with an archive), Grafana -> Loki,
 * Prometheus -> each metrics port, agent -> Kubernetes API (k8sattributes). Everything else stays denied.
 */
export function loggingPolicies(c: StackConfig, hasArchive: boolean): PolicySpec[] {
  const loki = topology.loki.ports;
  const lokiPeers = [pods(c, "loki")];
  const cache = (role: "chunksCache" | "resultsCache"): PolicySpec => ({
    name: topology[role].id.instance,
    namespace: namespaceOf(c, role),
    podSelector: selectorLabels(topology[role].id),
    ingress: [{ peers: lokiPeers, ports: tcp(topology[role].ports.client) }, prometheusScrapes(c, topology[role].ports.metrics)],
    egress: [],
  });
  return [
    {
      name: topology.loki.id.instance,
      namespace: namespaceOf(c, "loki"),
      podSelector: selectorLabels(topology.loki.id),
      ingress: [
        { peers: lokiPeers, ports: tcp(loki.http, loki.grpc, loki.memberlist) },
        { peers: [pods(c, "logAgent")], ports: tcp(loki.http) },
        { peers: [pods(c, "grafana")], ports: tcp(loki.http) },
        prometheusScrapes(c, loki[topology.loki.metricsPort]),
      ],
      egress: [
        { peers: lokiPeers, ports: tcp(loki.http, loki.grpc, loki.memberlist) },
        { peers: [pods(c, "chunksCache"), pods(c, "resultsCache")], ports: tcp(topology.chunksCache.ports.client) },
        ...(hasArchive ? [{ peers: cidrs(c.network.awsEgressCidrs), ports: tcp(443) }] : []),
      ],
    },
    cache("chunksCache"),
    cache("resultsCache"),
    {
      name: topology.logAgent.id.instance,
      namespace: namespaceOf(c, "logAgent"),
      podSelector: selectorLabels(topology.logAgent.id),
      ingress: [prometheusScrapes(c, topology.logAgent.ports.metrics)],
      egress: [
        { peers: lokiPeers, ports: tcp(loki.http) },
        { peers: cidrs(c.network.apiServerCidrs), ports: tcp(443) },
      ],
    },
  ];
}

/** Registers the logging tier's NetworkPolicies. */
export function deployLoggingPolicies(name: string, c: StackConfig, hasArchive: boolean, parent: pulumi.Resource): void {
  for (const p of loggingPolicies(c, hasArchive)) {
    allowFlows(`${name}-${p.name}`, { ...p, name: p.name }, { parent });
  }
}
