/**
 * Health alerts of the observability stack itself: components down, rule evaluation and notification failures,
 * Alertmanager cluster size, Loki and collectors dropping data, volumes filling up, and the always-firing
 * Watchdog.
 */
import { componentJobs, kubeletJob, type ComponentKey } from "./jobs";
import { quote } from "./promql";
import { componentDownFor, sloAlertNames } from "./slo-rules";
import type { AlertingRule, RuleGroup } from "./types";

/** The `service` label of every stack alert; Alertmanager routes it to the platform receivers. */
export const stackService = "observability";
/** The team that runs the stack. */
export const platformTeam = "platform";

/**
 * Severity when a component has no healthy target. Critical where telemetry or alerts are being lost (scrape,
 * delivery, ingestion, the trace and log pipelines); warning where only a read path or a cache is down and
 * nothing is lost.
 */
export const componentDownSeverity: Readonly<Record<ComponentKey, "critical" | "warning">> = {
  prometheus: "critical",
  alertmanager: "critical",
  grafana: "warning",
  otelAgent: "critical",
  otelGateway: "critical",
  jaegerCollector: "critical",
  jaegerQuery: "warning",
  loki: "critical",
  memcached: "warning",
  logAgent: "critical",
};

/** Jobs that run an OpenTelemetry Collector build (Jaeger v2 is one) and expose `otelcol_*` metrics. */
export const collectorJobs = [
  componentJobs.otelAgent, componentJobs.otelGateway, componentJobs.logAgent, componentJobs.jaegerCollector,
] as const;

/** Input of the stack health rules. */
export interface HealthInput {
  replicas: { prometheus: number; alertmanager: number };
  /** Namespaces whose PVCs the volume alerts watch; all namespaces when absent. */
  namespaces?: readonly string[];
  /** Whether Prometheus scrapes the kubelets (default true); without that job the volume alerts are left out. */
  kubeletScraped?: boolean;
}

const jobRegex = (jobs: readonly string[]): string => quote(jobs.join("|"));
const withComponentFromJob = (expr: string): string => `label_replace(${expr}, "component", "$1", "job", "(.+)")`;

function alert(
  name: string, expr: string, forDuration: string | undefined, severity: string, extra: Record<string, string>,
  summary: string, description: string,
): AlertingRule {
  return {
    alert: name,
    expr,
    ...(forDuration ? { for: forDuration } : {}),
    labels: { severity, service: stackService, team: platformTeam, ...extra },
    annotations: { summary, description },
  };
}

/** One `ComponentDown` per component job, and a warning per unhealthy target. */
export function componentAlerts(): AlertingRule[] {
  const down = (Object.keys(componentJobs) as ComponentKey[]).map((key) => {
    const job = componentJobs[key];
    return alert(
      sloAlertNames.componentDown, `absent(up{job=${quote(job)}} == 1)`, componentDownFor, componentDownSeverity[key],
      { component: job },
      `${job} has no healthy scrape target`,
      `No target of job ${job} has answered a scrape for ${componentDownFor}; every alert about ${job}'s symptoms is inhibited while this fires.`,
    );
  });
  const targetDown = alert(
    "ComponentTargetDown",
    withComponentFromJob(`up{job=~${jobRegex(Object.values(componentJobs))}} == 0`),
    "10m", "warning", {},
    "{{ $labels.job }} target {{ $labels.instance }} is down",
    "One replica of {{ $labels.job }} has failed its scrapes for 10 minutes; the others still serve, with less headroom.",
  );
  return [...down, targetDown];
}

/** Prometheus rule evaluation and alert delivery. */
export function prometheusAlerts(): AlertingRule[] {
  const job = quote(componentJobs.prometheus);
  return [
    alert(
      "PrometheusRuleEvaluationFailures",
      `sum by (instance, rule_group) (increase(prometheus_rule_evaluation_failures_total{job=${job}}[5m])) > 0`,
      "15m", "critical", { component: componentJobs.prometheus },
      "Prometheus {{ $labels.instance }} fails to evaluate rule group {{ $labels.rule_group }}",
      "Rules of {{ $labels.rule_group }} have failed for 15 minutes: their recordings are stale and their alerts cannot fire.",
    ),
    alert(
      "PrometheusNotificationsFailing",
      `sum by (instance) (rate(prometheus_notifications_errors_total{job=${job}}[5m]))\n/\nsum by (instance) (rate(prometheus_notifications_sent_total{job=${job}}[5m]))\n> 0.01`,
      "15m", "warning", { component: componentJobs.prometheus },
      "Prometheus {{ $labels.instance }} fails to send alerts to Alertmanager",
      "More than 1% of alert sends from {{ $labels.instance }} to Alertmanager fail; the other replica still sends, so alerts are delayed, not lost.",
    ),
  ];
}

/** Alertmanager delivery and clustering. */
export function alertmanagerAlerts(replicas: number): AlertingRule[] {
  const job = quote(componentJobs.alertmanager);
  const rules = [
    alert(
      "AlertmanagerNotificationsFailing",
      `sum by (integration) (rate(alertmanager_notifications_failed_total{job=${job}}[5m]))\n/\nsum by (integration) (rate(alertmanager_notifications_total{job=${job}}[5m]))\n> 0.01`,
      "5m", "critical", { component: componentJobs.alertmanager },
      "Alertmanager fails to deliver {{ $labels.integration }} notifications",
      "More than 1% of {{ $labels.integration }} notifications fail; the other integrations of a page (Slack, email) are the fallback.",
    ),
  ];
  // A single replica runs without gossip and reports no peers to compare with.
  if (replicas > 1) {
    rules.push(alert(
      "AlertmanagerClusterSizeBelowReplicas",
      `alertmanager_cluster_members{job=${job}} < ${replicas}`,
      "10m", "warning", { component: componentJobs.alertmanager },
      "Alertmanager {{ $labels.instance }} sees {{ $value }} of " + replicas + " cluster members",
      `An Alertmanager replica is outside the gossip cluster of ${replicas}: silences and notification state are not shared, so notifications may be duplicated.`,
    ));
  }
  return rules;
}

/** Loki and the collectors losing data. */
export function pipelineAlerts(): AlertingRule[] {
  const loki = quote(componentJobs.loki);
  // exporter_send_failed counts items an exporter gave up on (permanent error or retries exhausted). There is no
  // processor_dropped: processorhelper stopped emitting it in collector 0.110, and a processor that refuses data
  // (memory_limiter) shows up as receiver_refused upstream.
  const lost = `otelcol_(exporter_enqueue_failed|exporter_send_failed|receiver_refused)_(spans|log_records|metric_points)(_total)?`;
  return [
    alert(
      "LokiDiscardingLogs",
      `sum by (reason) (rate(loki_discarded_samples_total{job=${loki}}[5m])) > 0`,
      "15m", "warning", { component: componentJobs.loki },
      "Loki discards log lines ({{ $labels.reason }})",
      "Loki has rejected log lines for 15 minutes with reason {{ $labels.reason }} (rate limit or validation); they are lost.",
    ),
    alert(
      "LokiChunkFlushFailing",
      `sum by (instance) (increase(loki_ingester_chunks_flush_failures_total{job=${loki}}[15m])) > 0`,
      "15m", "critical", { component: componentJobs.loki },
      "Loki {{ $labels.instance }} cannot flush chunks to object storage",
      "Chunk flushes to S3 fail; unflushed chunks live only in the ingester and its WAL and are lost if the volume is.",
    ),
    alert(
      "CollectorDroppingData",
      // Counter names gained a _total suffix when the collector moved to the OpenTelemetry Prometheus exporter.
      withComponentFromJob(`sum by (job) (rate({__name__=~${quote(lost)}, job=~${jobRegex(collectorJobs)}}[5m])) > 0`),
      "10m", "warning", {},
      "{{ $labels.job }} is dropping telemetry",
      "{{ $labels.job }} refuses data at its receivers, cannot queue it for export (queue full) or gave up exporting it (permanent error or retries exhausted): spans, logs or metrics are lost.",
    ),
    alert(
      "TailSamplingDroppingTraces",
      // A gateway whose trace buffer (num_traces) fills before decision_wait ends evicts undecided traces: error traces
      // included, silently (no refused spans, memory_limiter idle). Capacity per replica is num_traces / decision_wait.
      withComponentFromJob(`sum by (job, instance) (rate({__name__=~${quote(`otelcol_processor_tail_sampling_sampling_trace_dropped_too_early(_total)?`)}, job=${quote(componentJobs.otelGateway)}}[5m])) > 0`),
      "5m", "warning", {},
      "Sampling gateway {{ $labels.instance }} drops traces before deciding on them",
      "Traces arrive faster than the gateway's buffer can hold them for decision_wait; the oldest undecided traces, error traces among them, are dropped unsampled. Raise tracing.gateway.numTraces (and the memory limit) or add replicas.",
    ),
  ];
}

/** Persistent volumes nearly full. */
export function volumeAlerts(namespaces?: readonly string[]): AlertingRule[] {
  const scope = namespaces && namespaces.length > 0 ? `, namespace=~${jobRegex(namespaces)}` : "";
  const ratio = `kubelet_volume_stats_available_bytes{job=${quote(kubeletJob)}${scope}}\n/\nkubelet_volume_stats_capacity_bytes{job=${quote(kubeletJob)}${scope}}`;
  const rule = (severity: string, free: number): AlertingRule => alert(
    "PersistentVolumeFillingUp", `${ratio}\n< ${free}`, "15m", severity, {},
    "PVC {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is " + `more than ${100 - free * 100}% full`,
    `Less than ${free * 100}% of the volume is free; the workload fails its writes (WAL, TSDB blocks, chunks) when it fills.`,
  );
  // Without kubelet metrics both alerts above are blind (e.g. kubelet certificates that fail verification): say so.
  const blind = alert(
    "VolumeMetricsMissing", `absent(up{job=${quote(kubeletJob)}} == 1)`, "15m", "warning", {},
    "No kubelet is being scraped: volume usage is unknown",
    "Prometheus scrapes no kubelet successfully, so PersistentVolumeFillingUp cannot fire. Check up{job=\"kubelet\"}: node CIDRs in monitoring.kubelet.nodeCidrs, RBAC nodes/metrics, kubelet serving certificates.",
  );
  return [rule("warning", 0.1), rule("critical", 0.03), blind];
}

/**
 * Always firing: proves the whole alerting path works. It is routed to the `blackhole` receiver; an external dead
 * man's switch polls Alertmanager for it.
 */
export function watchdogAlert(): AlertingRule {
  return alert(
    "Watchdog", "vector(1)", undefined, "none", {},
    "Alerting pipeline heartbeat",
    "Always firing. If it is missing from Alertmanager, Prometheus cannot evaluate rules or reach Alertmanager.",
  );
}

/** The rule groups of `stack-health.yml`. */
export function stackHealthGroups(input: HealthInput): RuleGroup[] {
  return [
    { name: "stack-components", rules: componentAlerts() },
    { name: "stack-prometheus", rules: prometheusAlerts() },
    { name: "stack-alertmanager", rules: alertmanagerAlerts(input.replicas.alertmanager) },
    { name: "stack-pipelines", rules: pipelineAlerts() },
    ...(input.kubeletScraped === false ? [] : [{ name: "stack-volumes", rules: volumeAlerts(input.namespaces) }]),
    { name: "stack-watchdog", rules: [watchdogAlert()] },
  ];
}
