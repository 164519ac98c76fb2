import type { StackConfig } from "../../config";
import { peerServiceName } from "../k8s/labels";
import { namespaceOf, topology } from "../topology";
import { extractedMetadata } from "./agent";
import type { ComponentMap, Pipeline } from "./collector";

/**
 * RED metrics from the spans themselves, computed on the sampling gateways before `tail_sampling` so the rates count
 * every span, not the sampled ones. The gateways are where every span passes exactly once: each agent sees only its
 * node's spans, and the agents' trace-ID load balancing hands each span to exactly one gateway. Each gateway's series
 * carry the connector's `collector.instance.id` dimension, so two gateways never write the same series.
 *
 * The metrics are pushed over OTLP/HTTP to every Prometheus replica (`--web.enable-otlp-receiver`): the HA pair stays
 * identical without a scrape of the gateways, and the collector release we deploy has no Prometheus exporter module
 * published on the Go module proxy we build from, so a scrape endpoint could not be proven with the real binary.
 */

/** The connector's component name in the 0.160 collector (the `spanmetrics` alias is deprecated). */
export const spanMetricsConnector = "span_metrics";

/**
 * Histogram bounds: the services' latency targets (ΣVAULT 10 ms, Agents 50 ms, Ryot's first token 100 ms) are bucket
 * bounds, so "share of spans under target" is exact; the upper buckets cover Ryot's multi-second generations.
 */
export const spanDurationBuckets = ["2ms", "5ms", "10ms", "25ms", "50ms", "100ms", "250ms", "500ms", "1s", "2500ms", "5s", "10s", "30s"];

/**
 * How often the connector emits. Prometheus' rate() over Grafana's and Jaeger's windows (>= 1m) needs at least two
 * samples in the window: 15 s gives four.
 */
export const spanMetricsFlushInterval = "15s";

/**
 * The series Prometheus stores, as its OTLP receiver names them (default translation: `.` -> `_`, unit and type
 * suffixes added). Labels: `service_name`, `span_name`, `span_kind` (`SPAN_KIND_SERVER`, ...), `status_code`
 * (`STATUS_CODE_ERROR`, `STATUS_CODE_OK`, `STATUS_CODE_UNSET`), `collector_instance_id` (the gateway), `job` (the
 * service), and `le` on the buckets. Proven by the trace-pipeline spec against the real Prometheus.
 */
export const spanMetricNames = {
  /** Counter of spans (requests and, with status_code="STATUS_CODE_ERROR", errors). */
  calls: "traces_span_metrics_calls_total",
  /** Histogram of span durations in milliseconds: `_bucket`, `_sum`, `_count`. */
  durationBucket: "traces_span_metrics_duration_milliseconds_bucket",
  durationSum: "traces_span_metrics_duration_milliseconds_sum",
  durationCount: "traces_span_metrics_duration_milliseconds_count",
} as const;

/** The spanmetrics' error status, as `status_code` carries it. */
export const spanErrorStatus = "STATUS_CODE_ERROR";

/** Per-gateway bound on dimension combinations; past it, new combinations fold into one `otel.metric.overflow` series. */
export const spanMetricsCardinalityLimit = 5000;

/**
 * Resource attributes that differ per pod. The connector copies the first resource it keys a service on into its
 * metrics, and Prometheus' OTLP receiver turns `service.instance.id` into `instance`: both are dropped, so a service's
 * series are keyed by service only and cannot collide between its pods.
 */
export const perPodResourceAttributes = ["service.instance.id", ...extractedMetadata.filter((k) => k !== "k8s.namespace.name")];

/** Where each Prometheus replica takes OTLP metrics: its stable StatefulSet DNS name through the headless Service. */
export function prometheusOtlpEndpoints(c: StackConfig): string[] {
  const p = topology.prometheus;
  const namespace = namespaceOf(c.namespaces, "prometheus");
  return Array.from(
    { length: c.monitoring.prometheus.replicas },
    (_, i) => `http://${p.id.instance}-${i}.${peerServiceName(p.id)}.${namespace}.svc.cluster.local:${p.ports.http}/api/v1/otlp/v1/metrics`,
  );
}

/** The gateway's spanmetrics sections: the connector, its processors and exporters, and the two pipelines. */
export function spanMetricsSections(c: StackConfig): {
  connectors: ComponentMap;
  processors: ComponentMap;
  exporters: ComponentMap;
  pipelines: Record<string, Pipeline>;
} {
  const exporters = Object.fromEntries(
    prometheusOtlpEndpoints(c).map((metrics_endpoint, i) => [
      `otlp_http/prometheus-${i}`,
      {
        metrics_endpoint,
        // A replica that is down loses its own queue only; the other replica keeps receiving.
        sending_queue: { enabled: true, num_consumers: 2, queue_size: 1000 },
        retry_on_failure: { enabled: true, initial_interval: "1s", max_interval: "15s", max_elapsed_time: "2m" },
      },
    ]),
  );
  return {
    connectors: {
      [spanMetricsConnector]: {
        histogram: { unit: "ms", explicit: { buckets: spanDurationBuckets } },
        // One span per data point links a latency bucket to a trace in Jaeger. Spans are counted before sampling,
        // so an exemplar may name a trace the sampler dropped; errors and slow traces are always or mostly kept.
        exemplars: { enabled: true, max_per_data_point: 1 },
        metrics_flush_interval: spanMetricsFlushInterval,
        resource_metrics_key_attributes: ["service.namespace", "service.name"],
        aggregation_cardinality_limit: spanMetricsCardinalityLimit,
      },
    },
    processors: {
      "resource/spanmetrics": { attributes: perPodResourceAttributes.map((key) => ({ key, action: "delete" })) },
    },
    exporters,
    pipelines: {
      "traces/spanmetrics": { receivers: ["otlp"], processors: ["memory_limiter", "resource/spanmetrics"], exporters: [spanMetricsConnector] },
      "metrics/spanmetrics": { receivers: [spanMetricsConnector], processors: ["batch"], exporters: Object.keys(exporters) },
    },
  };
}
