/**
 * The logging pipeline's health: what Loki ingests and rejects, its streams, compactor retention runs, cache hit
 * ratios and S3 errors, and how far the log agents lag behind the files they tail. The last row reads the stack's own
 * warnings and errors from Loki.
 */
import { datasourcesOf, environment, type DashboardInput } from "./input";
import { dashboard, type Dashboard } from "./model";
import { jobOf, otelcolCounter } from "./telemetry";

export const loggingPipelineUid = "logging-pipeline";

/** A warning or error line in logfmt (`level=warn`, Loki, Prometheus) or JSON (`"level":"error"`, the collectors). */
const warnOrError = "`(?i)\"?level\"?[=:]\\s*\"?(warn|warning|error)`";

export function loggingPipeline(input: DashboardInput): Dashboard {
  const loki = jobOf("loki");
  const agent = jobOf("logAgent");
  const rate = (expr: string) => `rate(${expr}[$__rate_interval])`;
  const stackLogs = `{k8s_namespace_name=~"${[input.namespaces.logging, input.namespaces.logAgents].join("|")}"}`;
  const day = 24 * 3600;
  return dashboard({
    uid: loggingPipelineUid,
    title: "Logging pipeline",
    description: "Loki ingestion, rejections, streams, retention, caches and S3; log agent lag; the logging tier's own errors.",
    tags: ["health", "logging"],
    datasources: datasourcesOf(input),
    variables: [environment(input.datasourceUids.prometheus)],
    rows: [
      {
        title: "Ingestion",
        panels: [
          { type: "timeseries", title: "Lines received /s", min: 0, queries: [{ expr: `sum by (tenant) (${rate(`loki_distributor_lines_received_total{${loki}}`)})`, legend: "{{tenant}}" }] },
          { type: "timeseries", title: "Bytes received /s", unit: "Bps", min: 0, queries: [{ expr: `sum by (tenant) (${rate(`loki_distributor_bytes_received_total{${loki}}`)})`, legend: "{{tenant}}" }] },
          {
            type: "timeseries",
            title: "Rejected lines /s by reason",
            description: "Rate limits, stream limits, too-old or too-long lines: each is data lost at the door.",
            min: 0,
            queries: [{ expr: `sum by (reason) (${rate(`loki_discarded_samples_total{${loki}}`)})`, legend: "{{reason}}" }],
          },
          { type: "timeseries", title: "Streams in memory", min: 0, queries: [{ expr: `sum by (pod) (loki_ingester_memory_streams{${loki}})`, legend: "{{pod}}" }] },
        ],
      },
      {
        title: "Retention, caches and object storage",
        panels: [
          {
            type: "stat",
            title: "Since the last successful retention run",
            unit: "s",
            thresholds: [{ color: "green", value: null }, { color: "orange", value: day }, { color: "red", value: 2 * day }],
            queries: [{ expr: `time() - max(loki_compactor_apply_retention_last_successful_run_timestamp_seconds{${loki}})` }],
          },
          {
            type: "timeseries",
            title: "Retention runs by status",
            min: 0,
            queries: [{ expr: `sum by (status) (increase(loki_compactor_apply_retention_operation_total{${loki}}[1h]))`, legend: "{{status}}" }],
          },
          {
            type: "timeseries",
            title: "Cache hit ratio",
            unit: "percentunit",
            min: 0,
            max: 1,
            queries: [{ expr: `sum by (name) (${rate(`loki_cache_hits{${loki}}`)}) / sum by (name) (${rate(`loki_cache_fetched_keys{${loki}}`)})`, legend: "{{name}}" }],
          },
          {
            type: "timeseries",
            title: "S3 request errors /s",
            min: 0,
            queries: [{ expr: `sum by (operation, status_code) (${rate(`loki_s3_request_duration_seconds_count{${loki},status_code!~"2.."}`)})`, legend: "{{operation}} {{status_code}}" }],
          },
        ],
      },
      {
        title: "Log agents",
        panels: [
          {
            type: "timeseries",
            title: "Lag: lines read but not yet shipped /s",
            description: "Read from files minus sent to Loki: positive while the agents fall behind (the queue on disk grows).",
            queries: [{
              expr: `sum(${rate(`${otelcolCounter("otelcol", "otelcol_receiver_accepted_log_records")}{${agent}}`)}) - sum(${rate(`${otelcolCounter("otelcol", "otelcol_exporter_sent_log_records")}{${agent}}`)})`,
              legend: "backlog growth",
            }],
          },
          {
            type: "timeseries",
            title: "Send queue fill",
            unit: "percentunit",
            min: 0,
            max: 1,
            thresholds: [{ color: "green", value: null }, { color: "red", value: 0.8 }],
            thresholdLines: true,
            queries: [{ expr: `max by (pod) (otelcol_exporter_queue_size{${agent}} / otelcol_exporter_queue_capacity{${agent}})`, legend: "{{pod}}" }],
          },
          {
            type: "timeseries",
            title: "Failed sends /s",
            min: 0,
            queries: [{ expr: `sum by (pod) (${rate(`${otelcolCounter("otelcol", "otelcol_exporter_send_failed_log_records")}{${agent}}`)})`, legend: "{{pod}}" }],
          },
          {
            type: "timeseries",
            title: "Files open / being read",
            min: 0,
            queries: [
              { expr: `sum(otelcol_fileconsumer_open_files{${agent}})`, legend: "open" },
              { expr: `sum(otelcol_fileconsumer_reading_files{${agent}})`, legend: "reading" },
            ],
          },
        ],
      },
      {
        title: "Logging tier's own warnings and errors (Loki)",
        height: 8,
        panels: [
          {
            type: "timeseries",
            title: "Warnings and errors per container",
            datasource: "loki",
            min: 0,
            queries: [{ expr: `sum by (k8s_container_name) (count_over_time(${stackLogs} |~ ${warnOrError} [$__auto]))`, legend: "{{k8s_container_name}}" }],
          },
          { type: "logs", title: "Latest warnings and errors", span: 2, datasource: "loki", queries: [{ expr: `${stackLogs} |~ ${warnOrError}` }] },
        ],
      },
    ],
  });
}
