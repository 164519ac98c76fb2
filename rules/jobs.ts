import type { ServiceKey } from "./metrics";

/**
 * Prometheus scrape job names of the stack's own components, defined once: the prometheus.yml builder names its
 * scrape jobs with these and the health alerts select `up{job=...}` by them.
 */
export const componentJobs = {
  prometheus: "prometheus",
  alertmanager: "alertmanager",
  grafana: "grafana",
  otelAgent: "otel-agent",
  otelGateway: "otel-gateway",
  jaegerCollector: "jaeger-collector",
  jaegerQuery: "jaeger-query",
  loki: "loki",
  memcached: "memcached",
  logAgent: "log-agent",
} as const;

export type ComponentKey = keyof typeof componentJobs;
export type ComponentJob = (typeof componentJobs)[ComponentKey];

/**
 * The kubelet scrape job (node role, each kubelet's HTTPS port scraped directly with `nodes/metrics` permission,
 * never through the API server proxy), which exposes `kubelet_volume_stats_*`; the PVC-nearly-full alert reads it. It is not one of the stack's components, so it has no component-down alert.
 */
export const kubeletJob = "kubelet";

/**
 * The scrape job of one of the four services (one job per service, Kubernetes SD by label). The job name equals
 * the service key so that `job` and `service` read the same in queries.
 */
export function serviceJob(service: ServiceKey): string {
  return service;
}
