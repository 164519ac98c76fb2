import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config";
import { selectorLabels } from "../k8s/labels";
import { type Flow, allowFlows, cidrs, podsIn, podsInNamespacesLabelled, tcp } from "../k8s/network";
import { namespaceOf, topology } from "../topology";
import { indexCleanerId } from "./index-cleaner";
import { remoteStoragePort } from "./jaeger";

/** One NetworkPolicy of the tier: which pods, and exactly which flows in and out. */
export interface TierPolicy {
  name: string;
  podSelector: Record<string, string>;
  ingress: Flow[];
  egress: Flow[];
}

/**
 * Every flow the tracing tier needs and nothing more, on top of the namespace's default deny and DNS egress:
 * services -> agent (OTLP), agent -> API server (k8sattributes) and -> gateway, gateway -> Jaeger collector, Jaeger
 * -> OpenSearch on 443 (or query -> collector remote storage with Badger), ingress controller and Grafana -> query,
 * gateway -> Prometheus (spanmetrics over OTLP), query -> Prometheus (Monitor tab), and Prometheus -> every metrics
 * port.
 */
export function tracingPolicies(c: StackConfig): TierPolicy[] {
  const pods = (w: keyof typeof topology) => podsIn(namespaceOf(c, w), selectorLabels(topology[w].id));
  const scrape = (w: "otelAgent" | "otelGateway" | "jaegerCollector" | "jaegerQuery"): Flow => {
    const e = topology[w];
    return { peers: [pods("prometheus")], ports: tcp((e.ports as Record<string, number>)[e.metricsPort]) };
  };
  const openSearch = c.tracing.jaeger.storage.kind === "opensearch";
  // OpenSearch, and STS for the IRSA token exchange, answer on 443 at the configured AWS endpoints.
  const aws: Flow = { peers: cidrs(c.network.awsEgressCidrs), ports: tcp(443) };
  const agent = topology.otelAgent;
  const gateway = topology.otelGateway;
  const collector = topology.jaegerCollector;
  const query = topology.jaegerQuery;

  const policies: TierPolicy[] = [
    {
      name: agent.id.instance,
      podSelector: selectorLabels(agent.id),
      ingress: [
        { peers: [podsInNamespacesLabelled(c.network.serviceNamespaceLabels)], ports: tcp(agent.ports.otlpGrpc, agent.ports.otlpHttp) },
        scrape("otelAgent"),
      ],
      egress: [
        { peers: [pods("otelGateway")], ports: tcp(gateway.ports.otlpGrpc) },
        { peers: cidrs(c.network.apiServerCidrs), ports: tcp(443) },
      ],
    },
    {
      name: gateway.id.instance,
      podSelector: selectorLabels(gateway.id),
      ingress: [{ peers: [pods("otelAgent")], ports: tcp(gateway.ports.otlpGrpc) }, scrape("otelGateway")],
      egress: [
        { peers: [pods("jaegerCollector")], ports: tcp(collector.ports.otlpGrpc) },
        // spanmetrics, pushed over OTLP/HTTP to each Prometheus replica.
        { peers: [pods("prometheus")], ports: tcp(topology.prometheus.ports.http) },
      ],
    },
    {
      name: collector.id.instance,
      podSelector: selectorLabels(collector.id),
      ingress: [
        { peers: [pods("otelGateway")], ports: tcp(collector.ports.otlpGrpc) },
        ...(openSearch ? [] : [{ peers: [pods("jaegerQuery")], ports: tcp(remoteStoragePort) }]),
        scrape("jaegerCollector"),
      ],
      egress: openSearch ? [aws] : [],
    },
    {
      name: query.id.instance,
      podSelector: selectorLabels(query.id),
      ingress: [
        {
          peers: [podsIn(c.network.ingressController.namespace, c.network.ingressController.podLabels), pods("grafana")],
          ports: tcp(query.ports.http),
        },
        scrape("jaegerQuery"),
      ],
      egress: [
        ...(openSearch ? [aws] : [{ peers: [pods("jaegerCollector")], ports: tcp(remoteStoragePort) }]),
        // The Monitor tab's RED metrics (spanmetrics) from Prometheus.
        { peers: [pods("prometheus")], ports: tcp(topology.prometheus.ports.http) },
      ],
    },
  ];
  if (openSearch) {
    policies.push({ name: indexCleanerId.instance, podSelector: selectorLabels(indexCleanerId), ingress: [], egress: [aws] });
  }
  return policies;
}

/** The tier's NetworkPolicies, one per workload, in the tracing namespace. */
export function buildNetworkPolicies(name: string, c: StackConfig, parent: pulumi.Resource): void {
  for (const p of tracingPolicies(c)) {
    allowFlows(
      `${name}-netpol-${p.name}`,
      { name: p.name, namespace: c.namespaces.tracing, podSelector: p.podSelector, ingress: p.ingress, egress: p.egress },
      { parent },
    );
  }
}
