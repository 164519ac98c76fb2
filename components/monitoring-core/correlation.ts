import { spanErrorStatus, spanMetricNames } from "../tracing-tier/spanmetrics";

/**
 * The datasource settings that link traces, logs and metrics in Grafana, keyed by the stable datasource uids. Grafana
 * expands `$VAR` in provisioning files from its environment, so every `$` a link template needs is written `$$`.
 */

/** Jaeger uid a link opens, Loki uid trace-to-logs queries, Prometheus uid trace-to-metrics queries. */
export interface CorrelationUids {
  prometheus: string;
  loki: string;
  jaeger: string;
}

/** The label/structured-metadata key that carries a trace ID everywhere: OTLP exemplars, Loki's OTLP records. */
export const traceIdKey = "trace_id";

/**
 * How far around a span trace-to-logs and trace-to-metrics look: log timestamps are the container runtime's, which
 * can lead or trail the span's clock by the SDK's batching, and a rate() needs its window before the span.
 */
export const logsTimeShift = { start: "-2m", end: "2m" } as const;
export const metricsTimeShift = { start: "-15m", end: "15m" } as const;

/** A Grafana template variable, escaped for a provisioning file. */
const v = (name: string) => `$\${${name}}`;

/** Prometheus: each exemplar's `trace_id` (spanmetrics and the services' SDKs) opens the trace in Jaeger. */
export function prometheusCorrelation(uids: CorrelationUids): Record<string, unknown> {
  return { exemplarTraceIdDestinations: [{ name: traceIdKey, datasourceUid: uids.jaeger, urlDisplayLabel: "Trace in Jaeger" }] };
}

/**
 * Loki: the `trace_id` structured metadata (the log agent lifts it from JSON and logfmt lines into the OTLP record's
 * trace context, and Loki stores that as metadata) and, for lines shipped any other way, a trace ID written in the
 * line itself, each open the trace in Jaeger.
 */
export function lokiCorrelation(uids: CorrelationUids): Record<string, unknown> {
  const link = { datasourceUid: uids.jaeger, url: v("__value.raw"), urlDisplayLabel: "Trace in Jaeger" };
  return {
    derivedFields: [
      { ...link, name: "TraceID", matcherType: "label", matcherRegex: traceIdKey },
      { ...link, name: "TraceID in line", matcherType: "regex", matcherRegex: '(?:trace_id|traceID|traceId)"?[=:] ?"?([0-9a-fA-F]{16,32})' },
    ],
  };
}

/**
 * Jaeger: trace to logs opens the span's pod's lines of that trace (namespace is a Loki index label; pod and trace ID
 * are structured metadata of OTLP records), and trace to metrics opens the service's spanmetrics RED queries.
 */
export function jaegerCorrelation(uids: CorrelationUids): Record<string, unknown> {
  const service = { key: "service.name", value: "service_name" };
  // `$__tags` becomes service_name="<the span's service.name>" through the tag mapping.
  const selector = "$$__tags";
  return {
    tracesToLogsV2: {
      datasourceUid: uids.loki,
      spanStartTimeShift: logsTimeShift.start,
      spanEndTimeShift: logsTimeShift.end,
      tags: [{ key: "k8s.namespace.name", value: "k8s_namespace_name" }],
      // The custom query replaces the simple one (and its trace/span ID toggles): the pod and the trace ID are
      // structured metadata of OTLP records, filtered after the namespace's stream selector.
      customQuery: true,
      query: `{${v("__tags")}} | k8s_pod_name="${v('__span.tags["k8s.pod.name"]')}" | ${traceIdKey}="${v("__trace.traceId")}"`,
    },
    tracesToMetrics: {
      datasourceUid: uids.prometheus,
      spanStartTimeShift: metricsTimeShift.start,
      spanEndTimeShift: metricsTimeShift.end,
      tags: [service],
      queries: [
        { name: "Request rate", query: `sum by (span_name) (rate(${spanMetricNames.calls}{${selector}}[5m]))` },
        { name: "Error rate", query: `sum by (span_name) (rate(${spanMetricNames.calls}{${selector}, status_code="${spanErrorStatus}"}[5m]))` },
        {
          name: "p95 latency (ms)",
          query: `histogram_quantile(0.95, sum by (le, span_name) (rate(${spanMetricNames.durationBucket}{${selector}}[5m])))`,
        },
      ],
    },
    nodeGraph: { enabled: true },
  };
}
