/**
 * The stack's own components, one entry each: the workloads Prometheus scrapes for it (identity, namespace, ports),
 * its scrape job, how bad it is when none of them answers, its row on the stack-health dashboard, whether it runs
 * telemetry pipelines on an OpenTelemetry Collector build, and the health alerts it owns. The topology, the scrape
 * jobs, the ComponentDown alerts and the dashboard rows are derived from this table, so adding a component is one entry.
 *
 * This module imports types only: the modules that derive from it (rules/jobs.ts, components/topology.ts) are loaded
 * after it, and a test can add an entry before they are.
 */
import type { StackConfig } from "../config";
import type { Resources } from "../config/common";
import type { AppIdentity } from "../components/k8s/labels";

/**
 * Who runs where and on which ports. Tiers build their pods, Services, scrape jobs, datasources and NetworkPolicies
 * from these, so a flow opened on one side always matches the pods and ports on the other.
 */
export interface Endpoint {
  id: AppIdentity;
  namespace: keyof StackConfig["namespaces"];
  ports: Record<string, number>;
  /** Port name whose `/metrics` Prometheus scrapes. */
  metricsPort: string;
}

export function endpoint(
  app: string,
  component: string,
  instance: string,
  namespace: Endpoint["namespace"],
  ports: Record<string, number>,
  metricsPort: string,
): Endpoint {
  return { id: { app, component, instance }, namespace, ports, metricsPort };
}

export type Severity = "critical" | "warning";

/** What a component's own alerts depend on besides its job. */
export interface AlertFacts {
  readonly replicas: { readonly prometheus: number; readonly alertmanager: number };
}

/** A health alert a component owns; the stack-health rules add the stack's routing labels and the runbook link. */
export interface ComponentAlert {
  alert: string;
  expr: string;
  for: string;
  severity: Severity;
  /**
   * Where the alert's `component` label comes from: `job`, the component's job as a fixed label; `series`, each
   * series' own `job` label (the expression keeps `job`), the way the alerts summarised per job label theirs.
   */
  component: "job" | "series";
  summary: string;
  description: string;
}

export interface ComponentHealth {
  /** The `stack-health.yml` rule group the alerts join. */
  group: string;
  /** The alerts; `job` is the component's job as a PromQL string literal, ready for `{job=${job}}`. */
  alerts(job: string, facts: AlertFacts): ComponentAlert[];
}

export interface StackComponent {
  /** Prometheus scrape job name; also the `component` label of its alerts. */
  job: string;
  /** The workloads the job scrapes, by workload name (the keys of `topology`). */
  endpoints: Readonly<Record<string, Endpoint>>;
  /** Severity of ComponentDown, and why: critical where telemetry or alerts are lost, warning where nothing is. */
  down: { severity: Severity; why: string };
  /** Its panel title on the stack-health dashboard (and its row on stack-resources). */
  title: string;
  /**
   * The OpenTelemetry Collector build its pipelines run on, named by the dialect of its `otelcol_*` series: our
   * collector build, or Jaeger v2 (built on an older collector). Absent for anything that moves no telemetry through
   * collector pipelines; the collector alerts watch the others.
   */
  collector?: "otelcol" | "jaeger";
  /**
   * How its process metrics are exposed: `goClient` (Prometheus client_golang `process_*`/`go_*`), `otelcol` or
   * `jaeger` (the collector's `otelcol_process_*`, without or with `_total` on counters). Absent where the job scrapes
   * a sidecar whose process is of no interest (memcached's exporter).
   */
  dialect?: "otelcol" | "jaeger" | "goClient";
  /** Requests and limits of the container the job scrapes, for the stack-resources dashboard; absent with `dialect`. */
  resources?: (c: StackConfig) => Resources;
  health?: ComponentHealth;
}

/** The group of the alerts about telemetry the pipelines lose. */
export const pipelinesGroup = "stack-pipelines";

export const stackComponents = {
  prometheus: {
    job: "prometheus",
    endpoints: { prometheus: endpoint("prometheus", "server", "prometheus", "monitoring", { http: 9090 }, "http") },
    down: { severity: "critical", why: "nothing is scraped or evaluated: metrics are lost and no alert can fire" },
    title: "Prometheus",
    dialect: "goClient",
    resources: (c) => c.monitoring.prometheus.resources,
    health: {
      group: "stack-prometheus",
      alerts: (job) => [
        {
          alert: "PrometheusRuleEvaluationFailures",
          expr: `sum by (instance, rule_group) (increase(prometheus_rule_evaluation_failures_total{job=${job}}[5m])) > 0`,
          for: "15m",
          severity: "critical",
          component: "job",
          summary: "Prometheus {{ $labels.instance }} fails to evaluate rule group {{ $labels.rule_group }}",
          description: "Rules of {{ $labels.rule_group }} have failed for 15 minutes: their recordings are stale and their alerts cannot fire.",
        },
        {
          alert: "PrometheusNotificationsFailing",
          expr: `sum by (instance) (rate(prometheus_notifications_errors_total{job=${job}}[5m]))\n/\nsum by (instance) (rate(prometheus_notifications_sent_total{job=${job}}[5m]))\n> 0.01`,
          for: "15m",
          severity: "warning",
          component: "job",
          summary: "Prometheus {{ $labels.instance }} fails to send alerts to Alertmanager",
          description: "More than 1% of alert sends from {{ $labels.instance }} to Alertmanager fail; the other replica still sends, so alerts are delayed, not lost.",
        },
      ],
    },
  },
  alertmanager: {
    job: "alertmanager",
    endpoints: { alertmanager: endpoint("alertmanager", "alerting", "alertmanager", "monitoring", { http: 9093, cluster: 9094 }, "http") },
    down: { severity: "critical", why: "alerts fire but are never delivered" },
    title: "Alertmanager",
    dialect: "goClient",
    resources: (c) => c.monitoring.alertmanager.resources,
    health: {
      group: "stack-alertmanager",
      alerts: (job, { replicas }) => {
        const alerts: ComponentAlert[] = [{
          alert: "AlertmanagerNotificationsFailing",
          expr: `sum by (integration) (rate(alertmanager_notifications_failed_total{job=${job}}[5m]))\n/\nsum by (integration) (rate(alertmanager_notifications_total{job=${job}}[5m]))\n> 0.01`,
          for: "5m",
          severity: "critical",
          component: "job",
          summary: "Alertmanager fails to deliver {{ $labels.integration }} notifications",
          description: "More than 1% of {{ $labels.integration }} notifications fail; the other integrations of a page (Slack, email) are the fallback.",
        }];
        // A single replica runs without gossip and reports no peers to compare with.
        if (replicas.alertmanager > 1) {
          alerts.push({
            alert: "AlertmanagerClusterSizeBelowReplicas",
            expr: `alertmanager_cluster_members{job=${job}} < ${replicas.alertmanager}`,
            for: "10m",
            severity: "warning",
            component: "job",
            summary: `Alertmanager {{ $labels.instance }} sees {{ $value }} of ${replicas.alertmanager} cluster members`,
            description: `An Alertmanager replica is outside the gossip cluster of ${replicas.alertmanager}: silences and notification state are not shared, so notifications may be duplicated.`,
          });
        }
        return alerts;
      },
    },
  },
  grafana: {
    job: "grafana",
    endpoints: { grafana: endpoint("grafana", "dashboards", "grafana", "monitoring", { http: 3000, gossip: 9094 }, "http") },
    down: { severity: "warning", why: "only dashboards are unavailable; nothing is lost" },
    title: "Grafana",
    dialect: "goClient",
    resources: (c) => c.monitoring.grafana.resources,
  },
  otelAgent: {
    job: "otel-agent",
    endpoints: {
      otelAgent: endpoint("otel-collector", "trace-agent", "otel-agent", "tracing", { otlpGrpc: 4317, otlpHttp: 4318, metrics: 8888, health: 13133 }, "metrics"),
    },
    down: { severity: "critical", why: "the services' spans have nowhere to go and are lost" },
    title: "OTel agents",
    dialect: "otelcol",
    resources: (c) => c.tracing.agent.resources,
    collector: "otelcol",
  },
  otelGateway: {
    job: "otel-gateway",
    endpoints: {
      otelGateway: endpoint("otel-collector", "sampling-gateway", "otel-gateway", "tracing", { otlpGrpc: 4317, metrics: 8888, health: 13133 }, "metrics"),
    },
    down: { severity: "critical", why: "the agents cannot hand spans on: traces are lost once their queues fill" },
    title: "OTel sampling gateway",
    dialect: "otelcol",
    resources: (c) => c.tracing.gateway.resources,
    collector: "otelcol",
    health: {
      group: pipelinesGroup,
      alerts: (job) => [
        {
          alert: "TailSamplingDroppingTraces",
          // A gateway whose trace buffer (num_traces) fills before decision_wait ends evicts undecided traces: error traces
          // included, silently (no refused spans, memory_limiter idle). Capacity per replica is num_traces / decision_wait.
          expr: `sum by (job, instance) (rate({__name__=~"otelcol_processor_tail_sampling_sampling_trace_dropped_too_early(_total)?", job=${job}}[5m])) > 0`,
          for: "5m",
          severity: "warning",
          component: "series",
          summary: "Sampling gateway {{ $labels.instance }} drops traces before deciding on them",
          description: "Traces arrive faster than the gateway's buffer can hold them for decision_wait; the oldest undecided traces, error traces among them, are dropped unsampled. Raise tracing.gateway.numTraces (and the memory limit) or add replicas.",
        },
      ],
    },
  },
  jaegerCollector: {
    job: "jaeger-collector",
    endpoints: {
      jaegerCollector: endpoint("jaeger", "collector", "jaeger-collector", "tracing", { otlpGrpc: 4317, remoteStorage: 17271, metrics: 8888, health: 13133 }, "metrics"),
    },
    down: { severity: "critical", why: "sampled traces are not stored" },
    title: "Jaeger collector",
    dialect: "jaeger",
    resources: (c) => c.tracing.jaeger.collector.resources,
    collector: "jaeger",
  },
  jaegerQuery: {
    job: "jaeger-query",
    endpoints: {
      jaegerQuery: endpoint("jaeger", "query", "jaeger-query", "tracing", { http: 16686, grpc: 16685, metrics: 8888, health: 13133 }, "metrics"),
    },
    down: { severity: "warning", why: "stored traces cannot be read; nothing is lost" },
    title: "Jaeger query",
    dialect: "jaeger",
    resources: (c) => c.tracing.jaeger.query.resources,
    // No `collector`: it runs the Jaeger binary too, but its only pipeline is a nop one, with no telemetry to drop.
  },
  loki: {
    job: "loki",
    endpoints: { loki: endpoint("loki", "monolithic", "loki", "logging", { http: 3100, grpc: 9095, memberlist: 7946 }, "http") },
    down: { severity: "critical", why: "log ingestion stops: the agents' retries run out and logs are lost" },
    title: "Loki",
    dialect: "goClient",
    resources: (c) => c.logging.loki.resources,
    health: {
      group: pipelinesGroup,
      alerts: (job) => [
        {
          alert: "LokiDiscardingLogs",
          expr: `sum by (reason) (rate(loki_discarded_samples_total{job=${job}}[5m])) > 0`,
          for: "15m",
          severity: "warning",
          component: "job",
          summary: "Loki discards log lines ({{ $labels.reason }})",
          description: "Loki has rejected log lines for 15 minutes with reason {{ $labels.reason }} (rate limit or validation); they are lost.",
        },
        {
          alert: "LokiChunkFlushFailing",
          expr: `sum by (instance) (increase(loki_ingester_chunks_flush_failures_total{job=${job}}[15m])) > 0`,
          for: "15m",
          severity: "critical",
          component: "job",
          summary: "Loki {{ $labels.instance }} cannot flush chunks to object storage",
          description: "Chunk flushes to S3 fail; unflushed chunks live only in the ingester and its WAL and are lost if the volume is.",
        },
      ],
    },
  },
  memcached: {
    job: "memcached",
    // One job for both caches: they run the same exporter on the same port, and the pod label tells them apart.
    endpoints: {
      chunksCache: endpoint("memcached", "chunks-cache", "loki-chunks-cache", "logging", { client: 11211, metrics: 9150 }, "metrics"),
      resultsCache: endpoint("memcached", "results-cache", "loki-results-cache", "logging", { client: 11211, metrics: 9150 }, "metrics"),
    },
    down: { severity: "warning", why: "Loki reads and writes object storage directly: slower, nothing lost" },
    title: "Loki caches",
  },
  logAgent: {
    job: "log-agent",
    endpoints: { logAgent: endpoint("otel-collector", "log-agent", "log-agent", "logAgents", { metrics: 8888, health: 13133 }, "metrics") },
    down: { severity: "critical", why: "node logs are not shipped, and are lost once rotated away" },
    title: "Log agents",
    dialect: "otelcol",
    resources: (c) => c.logging.agent.resources,
    collector: "otelcol",
  },
} as const satisfies Record<string, StackComponent>;

/** A stack component: a key of the registry. */
export type ComponentKey = keyof typeof stackComponents;

/**
 * One value per registry entry, keyed and ordered as the registry is. It reads the registry when called, so a table
 * derived at load includes every entry listed before that load.
 */
export function perComponent<T>(pick: (entry: StackComponent, key: ComponentKey) => T): Record<ComponentKey, T> {
  return Object.fromEntries(
    (Object.entries(stackComponents) as [ComponentKey, StackComponent][]).map(([key, entry]) => [key, pick(entry, key)]),
  ) as Record<ComponentKey, T>;
}
