/**
 * The shape shared by every OpenTelemetry Collector build in the tier (the contrib collector and Jaeger v2, which is a
 * collector distribution): typed sections, internal telemetry on the metrics port, and a structural check that every
 * pipeline only names components that are defined.
 */

export type ComponentMap = Record<string, unknown>;

export interface Pipeline {
  receivers: string[];
  processors?: string[];
  exporters: string[];
}

export interface CollectorConfig {
  extensions?: ComponentMap;
  receivers: ComponentMap;
  processors?: ComponentMap;
  exporters: ComponentMap;
  /** A connector is an exporter of one pipeline and a receiver of another. */
  connectors?: ComponentMap;
  service: {
    extensions?: string[];
    pipelines: Record<string, Pipeline>;
    telemetry: {
      resource?: { attributes: { name: string; value: string }[] } | Record<string, string>;
      logs?: { level: string; encoding?: string };
      metrics: { level: string; readers: unknown[] };
    };
  };
}

/**
 * Internal telemetry served for Prometheus on `0.0.0.0:<port>`. Collectors since v0.123 ignore the older
 * `service.telemetry.metrics.address`, so the pull reader is the only form that exposes the port. The resource is an
 * attribute list for the contrib collector (0.160 warns at every start about the inline map), and the inline map for
 * Jaeger, whose collector core (0.140 in Jaeger 2.13) refuses the list.
 */
export function internalTelemetry(port: number, serviceName: string, build: "collector" | "jaeger"): CollectorConfig["service"]["telemetry"] {
  return {
    resource: build === "collector" ? { attributes: [{ name: "service.name", value: serviceName }] } : { "service.name": serviceName },
    logs: { level: "info", encoding: "json" },
    metrics: { level: "normal", readers: [{ pull: { exporter: { prometheus: { host: "0.0.0.0", port } } } }] },
  };
}

/**
 * Problems that would stop a collector from starting: a pipeline naming an undefined component, a pipeline without
 * receivers or exporters, a connector not used on both sides, or a service extension that is not configured. Empty
 * when the document is consistent.
 */
export function collectorConfigProblems(doc: CollectorConfig): string[] {
  const problems: string[] = [];
  const check = (pipeline: string, kind: "receivers" | "processors" | "exporters", names: string[] | undefined) => {
    for (const name of names ?? []) {
      const connector = kind !== "processors" && name in (doc.connectors ?? {});
      if (!connector && !(name in (doc[kind] ?? {}))) {
        problems.push(`pipeline ${pipeline} uses ${kind.slice(0, -1)} "${name}", which is not defined under ${kind}${kind === "processors" ? "" : " or connectors"}`);
      }
    }
  };
  for (const [name, p] of Object.entries(doc.service.pipelines)) {
    if (p.receivers.length === 0) problems.push(`pipeline ${name} has no receivers`);
    if (p.exporters.length === 0) problems.push(`pipeline ${name} has no exporters`);
    check(name, "receivers", p.receivers);
    check(name, "processors", p.processors);
    check(name, "exporters", p.exporters);
  }
  const pipelines = Object.values(doc.service.pipelines);
  for (const name of Object.keys(doc.connectors ?? {})) {
    if (!pipelines.some((p) => p.exporters.includes(name)) || !pipelines.some((p) => p.receivers.includes(name))) {
      problems.push(`connector "${name}" must be an exporter of one pipeline and a receiver of another`);
    }
  }
  for (const ext of doc.service.extensions ?? []) {
    if (!(ext in (doc.extensions ?? {}))) problems.push(`service extension "${ext}" is not defined under extensions`);
  }
  return problems;
}
