import type { StackConfig } from "../../config";
import { selectorLabels } from "../k8s/labels";
import {
  type Flow,
  type PolicySpec,
  cidrs,
  ingressControllerPods,
  podsInNamespacesLabelled,
  scrapedByPrometheus,
  tcp,
  workloadPods as pods,
  workloadPolicy,
} from "../k8s/network";
import { namespaceOf, topology } from "../topology";
import { indexCleanerId } from "./index-cleaner";
import { remoteStoragePort } from "./jaeger";

/**
 * Every flow the tracing tier needs and nothing more, on top of the namespace's default deny and DNS egress:
 * services -> agent (OTLP), agent -> API server (k8sattributes) and -> gateway, gateway -> Jaeger collector, Jaeger
 * -> OpenSearch on 443 (or query -> collector remote storage with Badger), ingress controller and Grafana -> query,
 * gateway -> Prometheus (spanmetrics over OTLP), query -> Prometheus (Monitor tab), and Prometheus -> every metrics
 * port.
 */
export function tracingPolicies(c: StackConfig): PolicySpec[] {
  const openSearch = c.tracing.jaeger.storage.kind === "opensearch";
  // OpenSearch, and STS for the IRSA token exchange, answer on 443 at the configured AWS endpoints.
  const aws: Flow = { peers: cidrs(c.network.awsEgressCidrs), ports: tcp(443) };
  const agent = topology.otelAgent;
  const gateway = topology.otelGateway;
  const collector = topology.jaegerCollector;
  const query = topology.jaegerQuery;

  const policies: PolicySpec[] = [
    workloadPolicy(c.namespaces, "otelAgent", {
      ingress: [
        { peers: [podsInNamespacesLabelled(c.network.serviceNamespaceLabels)], ports: tcp(agent.ports.otlpGrpc, agent.ports.otlpHttp) },
        scrapedByPrometheus(c.namespaces, "otelAgent"),
      ],
      egress: [
        { peers: [pods(c.namespaces, "otelGateway")], ports: tcp(gateway.ports.otlpGrpc) },
        { peers: cidrs(c.network.apiServerCidrs), ports: tcp(443) },
      ],
    }),
    workloadPolicy(c.namespaces, "otelGateway", {
      ingress: [{ peers: [pods(c.namespaces, "otelAgent")], ports: tcp(gateway.ports.otlpGrpc) }, scrapedByPrometheus(c.namespaces, "otelGateway")],
      egress: [
        { peers: [pods(c.namespaces, "jaegerCollector")], ports: tcp(collector.ports.otlpGrpc) },
        // spanmetrics, pushed over OTLP/HTTP to each Prometheus replica.
        { peers: [pods(c.namespaces, "prometheus")], ports: tcp(topology.prometheus.ports.http) },
      ],
    }),
    workloadPolicy(c.namespaces, "jaegerCollector", {
      ingress: [
        { peers: [pods(c.namespaces, "otelGateway")], ports: tcp(collector.ports.otlpGrpc) },
        ...(openSearch ? [] : [{ peers: [pods(c.namespaces, "jaegerQuery")], ports: tcp(remoteStoragePort) }]),
        scrapedByPrometheus(c.namespaces, "jaegerCollector"),
      ],
      egress: openSearch ? [aws] : [],
    }),
    workloadPolicy(c.namespaces, "jaegerQuery", {
      ingress: [{ peers: [ingressControllerPods(c), pods(c.namespaces, "grafana")], ports: tcp(query.ports.http) }, scrapedByPrometheus(c.namespaces, "jaegerQuery")],
      egress: [
        ...(openSearch ? [aws] : [{ peers: [pods(c.namespaces, "jaegerCollector")], ports: tcp(remoteStoragePort) }]),
        // The Monitor tab's RED metrics (spanmetrics) from Prometheus.
        { peers: [pods(c.namespaces, "prometheus")], ports: tcp(topology.prometheus.ports.http) },
      ],
    }),
  ];
  if (openSearch) {
    // The index cleaner is no topology workload (nothing connects to it); it runs beside Jaeger.
    policies.push({
      name: indexCleanerId.instance,
      namespace: namespaceOf(c.namespaces, "jaegerCollector"),
      podSelector: selectorLabels(indexCleanerId),
      ingress: [],
      egress: [aws],
    });
  }
  return policies;
}
