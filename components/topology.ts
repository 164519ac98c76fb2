import type { StackConfig } from "../config";
import type { AppIdentity } from "./k8s/labels";

/**
 * Who runs where and on which ports: the identity (labels), namespace role and ports of every workload in the stack.
 * Tiers build their pods, Services, scrape jobs, datasources and NetworkPolicies from this one table, so a flow
 * opened on one side always matches the pods and ports on the other.
 */
export interface Endpoint {
  id: AppIdentity;
  namespace: keyof StackConfig["namespaces"];
  ports: Record<string, number>;
  /** Port name whose `/metrics` Prometheus scrapes. */
  metricsPort: string;
}

const endpoint = (
  app: string,
  component: string,
  instance: string,
  namespace: Endpoint["namespace"],
  ports: Record<string, number>,
  metricsPort: string,
): Endpoint => ({ id: { app, component, instance }, namespace, ports, metricsPort });

export const topology = {
  prometheus: endpoint("prometheus", "server", "prometheus", "monitoring", { http: 9090 }, "http"),
  alertmanager: endpoint("alertmanager", "alerting", "alertmanager", "monitoring", { http: 9093, cluster: 9094 }, "http"),
  grafana: endpoint("grafana", "dashboards", "grafana", "monitoring", { http: 3000, gossip: 9094 }, "http"),
  loki: endpoint("loki", "monolithic", "loki", "logging", { http: 3100, grpc: 9095, memberlist: 7946 }, "http"),
  chunksCache: endpoint("memcached", "chunks-cache", "loki-chunks-cache", "logging", { client: 11211, metrics: 9150 }, "metrics"),
  resultsCache: endpoint("memcached", "results-cache", "loki-results-cache", "logging", { client: 11211, metrics: 9150 }, "metrics"),
  logAgent: endpoint("otel-collector", "log-agent", "log-agent", "logAgents", { metrics: 8888, health: 13133 }, "metrics"),
  otelAgent: endpoint("otel-collector", "trace-agent", "otel-agent", "tracing", { otlpGrpc: 4317, otlpHttp: 4318, metrics: 8888, health: 13133 }, "metrics"),
  otelGateway: endpoint("otel-collector", "sampling-gateway", "otel-gateway", "tracing", { otlpGrpc: 4317, metrics: 8888, health: 13133 }, "metrics"),
  jaegerCollector: endpoint("jaeger", "collector", "jaeger-collector", "tracing", { otlpGrpc: 4317, remoteStorage: 17271, metrics: 8888, health: 13133 }, "metrics"),
  jaegerQuery: endpoint("jaeger", "query", "jaeger-query", "tracing", { http: 16686, grpc: 16685, metrics: 8888, health: 13133 }, "metrics"),
} as const satisfies Record<string, Endpoint>;

export type Workload = keyof typeof topology;

/** The namespace a workload runs in, for this stack. */
export function namespaceOf(c: StackConfig, w: Workload): string {
  return c.namespaces[topology[w].namespace];
}

/** The in-cluster URL of a workload's Service (`http://<instance>.<namespace>.svc.cluster.local:<port>`). */
export function serviceUrl(c: StackConfig, w: Workload, port: string, scheme = "http"): string {
  const e: Endpoint = topology[w];
  if (!(port in e.ports)) throw new Error(`${w} has no port "${port}"; it has ${Object.keys(e.ports).join(", ")}`);
  return `${scheme}://${serviceHost(c, w)}:${e.ports[port]}`;
}

/** The in-cluster DNS name of a workload's Service. */
export function serviceHost(c: StackConfig, w: Workload): string {
  return `${topology[w].id.instance}.${namespaceOf(c, w)}.svc.cluster.local`;
}
