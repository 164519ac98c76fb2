/**
 * Every metric name a runbook or dashboard may read, each with what produces it: a recording rule we generate, the
 * services' metric contract, the gateways' spanmetrics connector, or a metric a pinned component exports (with the
 * component and its version from the versions table). Rule and contract names are derived from the code; exporter
 * names are listed by hand, because only the component's release defines them. A query that reads a name missing here
 * reads something nothing we deploy produces.
 */
import { versions, type Component } from "../config/versions";
import { buildRuleFiles } from "./index";
import { componentJobs, kubeletJob } from "./jobs";
import { contractSeriesNames, serviceKeys, type ServiceKey } from "./metrics";
import { isAlertingRule } from "./types";
import { spanMetricNames } from "../components/tracing-tier/spanmetrics";

/** What produces a metric. */
export type MetricSource =
  | { readonly kind: "recording-rule"; readonly file: string; readonly group: string }
  | { readonly kind: "contract"; readonly service: ServiceKey }
  | { readonly kind: "spanmetrics"; readonly component: "collector"; readonly version: string }
  | { readonly kind: "exporter"; readonly component: Component; readonly version: string; readonly jobs: readonly string[] }
  /** Not deployed by this stack: the cluster's own kubelets, scraped by the `kubelet` job. */
  | { readonly kind: "cluster"; readonly exporter: "kubelet"; readonly jobs: readonly string[] };

/** One metric name and one thing that produces it; a name several components export appears once per component. */
export interface MetricName {
  readonly name: string;
  readonly source: MetricSource;
}

const histogram = (name: string): string[] => ["_bucket", "_count", "_sum"].map((s) => `${name}${s}`);

/** Metrics every Go binary's client library exports (process collector). */
const goProcess = ["process_cpu_seconds_total", "process_resident_memory_bytes", "process_start_time_seconds"];

/**
 * A collector build's own telemetry, as read from the pinned binaries' /metrics (`level: detailed`). The contrib
 * collector 0.160 exposes counters without `_total` and without unit suffixes; Jaeger 2.13, an older collector core,
 * adds both. Queries that read both builds match the two forms (`otelcol_receiver_refused_spans(_total)?`).
 */
function collectorTelemetry(suffixes: boolean): string[] {
  const counter = (name: string): string => (suffixes ? `${name}_total` : name);
  return [
    counter("otelcol_process_cpu_seconds"),
    suffixes ? "otelcol_process_memory_rss_bytes" : "otelcol_process_memory_rss",
    suffixes ? "otelcol_process_uptime_seconds_total" : "otelcol_process_uptime",
    ...["spans", "log_records", "metric_points"].flatMap((signal) => [
      counter(`otelcol_receiver_accepted_${signal}`),
      counter(`otelcol_receiver_refused_${signal}`),
      counter(`otelcol_receiver_failed_${signal}`),
      counter(`otelcol_exporter_sent_${signal}`),
      counter(`otelcol_exporter_send_failed_${signal}`),
      counter(`otelcol_exporter_enqueue_failed_${signal}`),
    ]),
    "otelcol_exporter_queue_size",
    "otelcol_exporter_queue_capacity",
  ];
}

/**
 * Exporter metrics by pinned component: `jobs` are the scrape jobs that carry them. Add a name here, with the
 * component that exports it, before a dashboard or runbook reads it.
 */
const exporterMetrics: readonly { component: Component; jobs: readonly string[]; names: readonly string[] }[] = [
  {
    // Synthetic series Prometheus writes itself: one `up` per target, `ALERTS` per pending or firing alert.
    component: "prometheus",
    jobs: Object.values(componentJobs),
    names: ["up", "scrape_duration_seconds", "scrape_samples_scraped", "ALERTS", "ALERTS_FOR_STATE"],
  },
  {
    component: "prometheus",
    jobs: [componentJobs.prometheus],
    names: [
      ...goProcess,
      "prometheus_rule_evaluation_failures_total",
      "prometheus_rule_evaluations_total",
      "prometheus_rule_group_last_duration_seconds",
      "prometheus_rule_group_interval_seconds",
      "prometheus_rule_group_iterations_missed_total",
      "prometheus_notifications_errors_total",
      "prometheus_notifications_sent_total",
      "prometheus_notifications_dropped_total",
      "prometheus_notifications_queue_length",
      "prometheus_notifications_alertmanagers_discovered",
      "prometheus_config_last_reload_successful",
      "prometheus_tsdb_head_series",
      "prometheus_tsdb_compactions_failed_total",
      "prometheus_sd_discovered_targets",
    ],
  },
  {
    component: "alertmanager",
    jobs: [componentJobs.alertmanager],
    names: [
      ...goProcess,
      "alertmanager_notifications_total",
      "alertmanager_notifications_failed_total",
      "alertmanager_notification_requests_total",
      "alertmanager_notification_requests_failed_total",
      "alertmanager_cluster_members",
      "alertmanager_cluster_failed_peers",
      "alertmanager_cluster_health_score",
      "alertmanager_alerts",
      "alertmanager_alerts_received_total",
      "alertmanager_alerts_invalid_total",
      "alertmanager_silences",
      "alertmanager_config_last_reload_successful",
    ],
  },
  {
    component: "grafana",
    jobs: [componentJobs.grafana],
    names: [...goProcess, ...histogram("grafana_http_request_duration_seconds")],
  },
  {
    component: "collector",
    jobs: [componentJobs.otelAgent, componentJobs.otelGateway, componentJobs.logAgent],
    names: [...collectorTelemetry(false), "otelcol_exporter_in_flight_requests"],
  },
  {
    // The file_log receiver's file consumer (read from the toolchain's build of the log agent).
    component: "collector",
    jobs: [componentJobs.logAgent],
    names: ["otelcol_fileconsumer_open_files", "otelcol_fileconsumer_reading_files"],
  },
  {
    component: "collector",
    jobs: [componentJobs.otelGateway],
    names: [
      "otelcol_processor_tail_sampling_count_traces_sampled",
      "otelcol_processor_tail_sampling_global_count_traces_sampled",
      "otelcol_processor_tail_sampling_new_trace_id_received",
      "otelcol_processor_tail_sampling_sampling_trace_dropped_too_early",
      "otelcol_processor_tail_sampling_sampling_traces_on_memory",
      "otelcol_processor_tail_sampling_sampling_policy_evaluation_error",
    ],
  },
  {
    // Jaeger v2 is a collector build: the same telemetry, under its own release.
    component: "jaeger",
    jobs: [componentJobs.jaegerCollector, componentJobs.jaegerQuery],
    names: collectorTelemetry(true),
  },
  {
    // Jaeger's storage instrumentation (read from the toolchain's build; the Badger sizes with Badger storage only).
    component: "jaeger",
    jobs: [componentJobs.jaegerCollector],
    names: [
      "jaeger_storage_requests_total",
      ...histogram("jaeger_storage_latency_seconds"),
      "jaeger_storage_badger_size_bytes_lsm",
      "jaeger_storage_badger_size_bytes_vlog",
    ],
  },
  {
    component: "loki",
    jobs: [componentJobs.loki],
    names: [
      ...goProcess,
      "loki_distributor_lines_received_total",
      "loki_distributor_bytes_received_total",
      "loki_discarded_samples_total",
      "loki_discarded_bytes_total",
      "loki_ingester_memory_streams",
      "loki_ingester_chunks_flushed_total",
      "loki_ingester_chunks_flush_failures_total",
      "loki_ingester_wal_corruptions_total",
      "loki_compactor_apply_retention_last_successful_run_timestamp_seconds",
      "loki_compactor_apply_retention_operation_total",
      ...histogram("loki_s3_request_duration_seconds"),
      ...histogram("loki_request_duration_seconds"),
      "loki_cache_fetched_keys",
      "loki_cache_hits",
    ],
  },
  {
    component: "memcachedExporter",
    jobs: [componentJobs.memcached],
    names: [
      "memcached_up",
      "memcached_commands_total",
      "memcached_current_bytes",
      "memcached_limit_bytes",
      "memcached_items_evicted_total",
      "memcached_current_connections",
    ],
  },
];

/** The kubelet metrics the `kubelet` job keeps (its metric_relabel_configs drop every other). */
const kubeletMetricNames = ["kubelet_volume_stats_available_bytes", "kubelet_volume_stats_capacity_bytes"];


/** Recorded series of every rule file, with the file and group that record them. */
function recordingRuleMetrics(): MetricName[] {
  const files = buildRuleFiles({ environment: "sources", cluster: "sources", replicas: { prometheus: 2, alertmanager: 2 } });
  const seen = new Set<string>();
  return Object.entries(files).flatMap(([file, { groups }]) =>
    groups.flatMap((group) =>
      group.rules.flatMap((rule) => {
        if (isAlertingRule(rule) || seen.has(rule.record)) return [];
        seen.add(rule.record);
        return [{ name: rule.record, source: { kind: "recording-rule" as const, file, group: group.name } }];
      }),
    ),
  );
}

/** Every metric name a runbook or dashboard may read, with its source. */
export function metricSources(): readonly MetricName[] {
  return [
    ...recordingRuleMetrics(),
    ...serviceKeys.flatMap((service) => contractSeriesNames(service).map((name) => ({ name, source: { kind: "contract" as const, service } }))),
    ...Object.values(spanMetricNames).map((name) => ({ name, source: { kind: "spanmetrics" as const, component: "collector" as const, version: versions.collector.tag } })),
    ...exporterMetrics.flatMap(({ component, jobs, names }) =>
      names.map((name) => ({ name, source: { kind: "exporter" as const, component, version: versions[component].tag, jobs } }))),
    ...kubeletMetricNames.map((name) => ({ name, source: { kind: "cluster" as const, exporter: "kubelet" as const, jobs: [kubeletJob] } })),
  ];
}

/** The known metric names, for membership checks. */
export function knownMetricNames(): ReadonlySet<string> {
  return new Set(metricSources().map((m) => m.name));
}

/** Every source of one metric name (empty: nothing we deploy produces it). */
export function sourcesOf(name: string): MetricSource[] {
  return metricSources().filter((m) => m.name === name).map((m) => m.source);
}
