/**
 * How the stack's components name the series the health dashboards read. Names were read off the real binaries of
 * the pinned releases (config/versions.ts) where the toolchain builds them, and from the component's source where it
 * cannot run here (Loki, memcached exporter):
 *
 * - the collector release we deploy (0.160.0, trace agent, sampling gateway, log agent) writes its own telemetry
 *   without type and unit suffixes: `otelcol_receiver_accepted_spans`, `otelcol_process_memory_rss`;
 * - Jaeger 2.13.0 embeds an older collector whose exposition keeps them: `otelcol_receiver_accepted_spans_total`,
 *   `otelcol_process_memory_rss_bytes`;
 * - Prometheus, Alertmanager, Grafana and Loki use the Go client's process collector: `process_resident_memory_bytes`.
 *
 * A query that names the wrong dialect returns nothing rather than failing, so the dialect of every job is data here.
 */
import { perComponent, type StackComponent } from "../catalog/components";
import { componentJobs, type ComponentKey } from "../rules/jobs";
import { spanMetricNames } from "../components/tracing-tier/spanmetrics";

export type Dialect = NonNullable<StackComponent["dialect"]>;

/** The exposition dialect of each scraped component, from the registry (memcached's job scrapes its exporter: none). */
export const componentDialects: Readonly<Record<ComponentKey, Dialect | undefined>> = perComponent((c) => c.dialect);

/** A collector counter as the dialect exposes it (`base` is the suffix-free name). */
export function otelcolCounter(dialect: "otelcol" | "jaeger", base: string): string {
  return dialect === "jaeger" ? `${base}_total` : base;
}

/** Resident memory and CPU-seconds counters of a dialect's process. */
export const processMetrics: Readonly<Record<Dialect, { rss: string; cpu: string }>> = {
  otelcol: { rss: "otelcol_process_memory_rss", cpu: "otelcol_process_cpu_seconds" },
  jaeger: { rss: "otelcol_process_memory_rss_bytes", cpu: "otelcol_process_cpu_seconds_total" },
  goClient: { rss: "process_resident_memory_bytes", cpu: "process_cpu_seconds_total" },
};

/** The collectors spans pass through, in pipeline order, with their dialect. */
export const spanCollectors = [
  { key: "otelAgent", dialect: "otelcol" },
  { key: "otelGateway", dialect: "otelcol" },
  { key: "jaegerCollector", dialect: "jaeger" },
] as const satisfies readonly { key: ComponentKey; dialect: "otelcol" | "jaeger" }[];

/** `job="<job>"` of a component. */
export const jobOf = (key: ComponentKey): string => `job="${componentJobs[key]}"`;

/**
 * Sums a collector counter per job across collectors of both dialects: one `sum by` per dialect joined with `or`,
 * since the same counter has a different name on each side.
 */
export function acrossCollectors(
  base: string,
  collectors: readonly { key: ComponentKey; dialect: "otelcol" | "jaeger" }[],
  by: readonly string[],
  extra = "",
): string {
  const byDialect = new Map<"otelcol" | "jaeger", string[]>();
  for (const c of collectors) byDialect.set(c.dialect, [...(byDialect.get(c.dialect) ?? []), componentJobs[c.key]]);
  return [...byDialect.entries()]
    .map(([dialect, jobs]) => {
      const job = jobs.length === 1 ? `job="${jobs[0]}"` : `job=~"${jobs.join("|")}"`;
      return `sum by (${by.join(", ")}) (rate(${otelcolCounter(dialect, base)}{${job}${extra ? `,${extra}` : ""}}[$__rate_interval]))`;
    })
    .join(" or ");
}

/**
 * The spanmetrics connector's series as Prometheus stores them (the gateways push them over OTLP; Prometheus adds
 * the type and unit suffixes). One place, so the names can follow the connector's configuration.
 */
export const spanMetrics = {
  calls: spanMetricNames.calls,
  durationBucket: spanMetricNames.durationBucket,
  labels: { service: "service_name", span: "span_name", kind: "span_kind", status: "status_code" },
  /** `status_code` of a failed span. */
  errorStatus: "STATUS_CODE_ERROR",
  /** Spans a service serves (not its outgoing calls). */
  serverKind: "SPAN_KIND_SERVER",
} as const;
