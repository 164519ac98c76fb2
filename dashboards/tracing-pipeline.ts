/**
 * The tracing pipeline's health: spans accepted, refused and lost at each collector (agents, sampling gateways,
 * Jaeger collector), tail-sampling decisions per policy, exporter queues, Jaeger's storage, and the RED metrics the
 * gateways derive from every span before sampling.
 */
import { componentJobs } from "../rules/jobs";
import { datasourcesOf, environment, type DashboardInput } from "./input";
import { dashboard, type Dashboard, type Variable } from "./model";
import { acrossCollectors, jobOf, otelcolCounter, spanCollectors, spanMetrics } from "./telemetry";

export const tracingPipelineUid = "tracing-pipeline";

const gateway = jobOf("otelGateway");
const tailSampling = "otelcol_processor_tail_sampling";

function serviceVariable(input: DashboardInput): Variable {
  const label = spanMetrics.labels.service;
  return {
    type: "query",
    name: "service",
    label: "service.name",
    datasource: datasourcesOf(input).prometheus,
    query: { query: `label_values(${spanMetrics.calls}, ${label})`, refId: "service" },
    definition: `label_values(${spanMetrics.calls}, ${label})`,
    current: { text: "All", value: "$__all" },
    options: [],
    refresh: 2,
    sort: 1,
    multi: true,
    includeAll: true,
    hide: 0,
  };
}

export function tracingPipeline(input: DashboardInput): Dashboard {
  const collectors = spanCollectors;
  const byJob = ["job"];
  const jaeger = "jaegerCollector" as const;
  const { labels } = spanMetrics;
  const svc = `${labels.service}=~"$service"`;
  return dashboard({
    uid: tracingPipelineUid,
    title: "Tracing pipeline",
    description: "Spans through the agents, the sampling gateways and the Jaeger collector; sampling decisions; Jaeger storage.",
    tags: ["health", "tracing"],
    datasources: datasourcesOf(input),
    variables: [environment(input.datasourceUids.prometheus), serviceVariable(input)],
    rows: [
      {
        title: "Spans per collector",
        panels: [
          { type: "timeseries", title: "Accepted spans /s", min: 0, queries: [{ expr: acrossCollectors("otelcol_receiver_accepted_spans", collectors, byJob), legend: "{{job}}" }] },
          {
            type: "timeseries",
            title: "Refused spans /s",
            description: "Refused by a receiver: the memory limiter pushing back, or a malformed request.",
            min: 0,
            queries: [{ expr: acrossCollectors("otelcol_receiver_refused_spans", collectors, byJob), legend: "{{job}}" }],
          },
          {
            type: "timeseries",
            title: "Spans lost /s",
            description: "Failed to send after retries, failed to enter a full queue, or dropped by tail sampling before its decision.",
            min: 0,
            queries: [
              { expr: acrossCollectors("otelcol_exporter_send_failed_spans", collectors, byJob), legend: "{{job}} send failed" },
              { expr: acrossCollectors("otelcol_exporter_enqueue_failed_spans", collectors, byJob), legend: "{{job}} queue full" },
              { expr: `sum by (job) (rate(${tailSampling}_sampling_trace_dropped_too_early{${gateway}}[$__rate_interval]))`, legend: "{{job}} dropped before decision" },
            ],
          },
        ],
      },
      {
        title: "Tail sampling (gateways)",
        panels: [
          {
            type: "timeseries",
            title: "Decisions per policy /s",
            span: 2,
            min: 0,
            queries: [{ expr: `sum by (policy, decision) (rate(${tailSampling}_count_traces_sampled{${gateway}}[$__rate_interval]))`, legend: "{{policy}} {{decision}}" }],
          },
          {
            type: "timeseries",
            title: "Traces kept /s",
            min: 0,
            queries: [{ expr: `sum by (sampled) (rate(${tailSampling}_global_count_traces_sampled{${gateway}}[$__rate_interval]))`, legend: "sampled={{sampled}}" }],
          },
          {
            type: "timeseries",
            title: "Traces held in memory",
            min: 0,
            queries: [{ expr: `sum by (pod) (${tailSampling}_sampling_traces_on_memory{${gateway}})`, legend: "{{pod}}" }],
          },
        ],
      },
      {
        title: "Exporter queues",
        panels: [
          {
            type: "timeseries",
            title: "Queue fill",
            unit: "percentunit",
            min: 0,
            max: 1,
            thresholds: [{ color: "green", value: null }, { color: "red", value: 0.8 }],
            thresholdLines: true,
            queries: [{
              expr: `max by (job, exporter) (otelcol_exporter_queue_size{${gateway}} / otelcol_exporter_queue_capacity{${gateway}})`,
              legend: "{{job}} {{exporter}}",
            }],
          },
          { type: "timeseries", title: "Sent spans /s", min: 0, queries: [{ expr: acrossCollectors("otelcol_exporter_sent_spans", collectors, ["job", "exporter"]), legend: "{{job}} {{exporter}}" }] },
          {
            type: "timeseries",
            title: "In-flight export requests",
            min: 0,
            queries: [{ expr: `sum by (job, exporter) (otelcol_exporter_in_flight_requests{job=~"${componentJobs.otelAgent}|${componentJobs.otelGateway}"})`, legend: "{{job}} {{exporter}}" }],
          },
        ],
      },
      {
        title: "Jaeger storage",
        panels: [
          {
            type: "timeseries",
            title: "Storage requests /s by operation and result",
            span: 2,
            min: 0,
            queries: [{ expr: `sum by (operation, result) (rate(jaeger_storage_requests_total{${jobOf(jaeger)}}[$__rate_interval]))`, legend: "{{operation}} {{result}}" }],
          },
          {
            type: "timeseries",
            title: "Storage p99 latency",
            unit: "s",
            min: 0,
            queries: [{
              expr: `histogram_quantile(0.99, sum by (le, operation) (rate(jaeger_storage_latency_seconds_bucket{${jobOf(jaeger)}}[$__rate_interval])))`,
              legend: "{{operation}}",
            }],
          },
          {
            type: "timeseries",
            title: "Badger size (Badger storage only)",
            unit: "bytes",
            min: 0,
            queries: [
              { expr: `sum by (pod) (jaeger_storage_badger_size_bytes_lsm{${jobOf(jaeger)}})`, legend: "{{pod}} LSM" },
              { expr: `sum by (pod) (jaeger_storage_badger_size_bytes_vlog{${jobOf(jaeger)}})`, legend: "{{pod}} value log" },
            ],
          },
          {
            type: "timeseries",
            title: "Spans written /s",
            min: 0,
            queries: [{ expr: `sum by (pod) (rate(${otelcolCounter("jaeger", "otelcol_exporter_sent_spans")}{${jobOf(jaeger)}}[$__rate_interval]))`, legend: "{{pod}}" }],
          },
        ],
      },
      {
        title: "RED per traced service (spanmetrics, before sampling)",
        panels: [
          { type: "timeseries", title: "Spans /s", min: 0, queries: [{ expr: `sum by (${labels.service}) (rate(${spanMetrics.calls}{${svc}}[$__rate_interval]))`, legend: `{{${labels.service}}}` }] },
          {
            type: "timeseries",
            title: "Error spans ratio",
            unit: "percentunit",
            min: 0,
            queries: [{
              expr:
                `sum by (${labels.service}) (rate(${spanMetrics.calls}{${svc},${labels.status}="${spanMetrics.errorStatus}"}[$__rate_interval]))` +
                ` / sum by (${labels.service}) (rate(${spanMetrics.calls}{${svc}}[$__rate_interval]))`,
              legend: `{{${labels.service}}}`,
            }],
          },
          {
            type: "timeseries",
            title: "p99 server span duration",
            unit: "ms",
            min: 0,
            queries: [{
              expr: `histogram_quantile(0.99, sum by (le, ${labels.service}) (rate(${spanMetrics.durationBucket}{${svc},${labels.kind}="${spanMetrics.serverKind}"}[$__rate_interval])))`,
              legend: `{{${labels.service}}}`,
            }],
          },
        ],
      },
    ],
  });
}
