/**
 * The metric contract: the series each of the four services exposes for its SLOs and dashboards, defined once.
 * SLO specs (`slos.ts`), the generated rules and the dashboards read metric names, labels and histogram bucket
 * boundaries from here; a service that renames a metric or moves a bucket boundary breaks this contract and the
 * `SLIMetricAbsent` alert fires.
 */

/** Service keys, in display order; also the values of the `service` label on every SLO series and alert. */
export const serviceKeys = ["ryot", "sigmalang", "sigmavault", "agents"] as const;
export type ServiceKey = (typeof serviceKeys)[number];

/**
 * A label the service puts on a metric, with the values it emits. For open-ended labels (HTTP status codes) the
 * list is representative; SLO selectors are checked against it and test series are generated from it.
 */
export type LabelValues = Readonly<Record<string, readonly string[]>>;

/** A monotonically increasing counter (exposed with the `_total` suffix, which is part of `name`). */
export interface CounterMetric {
  readonly kind: "counter";
  readonly name: string;
  readonly help: string;
  readonly labels: LabelValues;
}

/**
 * A classic Prometheus histogram: `<name>_bucket{le}`, `<name>_count`, `<name>_sum`. `buckets` are the upper bounds
 * the service configures; SLO thresholds must be one of them, because a threshold between two boundaries cannot be
 * computed from the buckets.
 */
export interface HistogramMetric {
  readonly kind: "histogram";
  readonly name: string;
  readonly help: string;
  readonly unit: "seconds" | "ratio";
  readonly buckets: readonly number[];
  readonly labels: LabelValues;
}

export type ContractMetric = CounterMetric | HistogramMetric;

/** What one service promises to expose. */
export interface ServiceContract {
  readonly displayName: string;
  readonly description: string;
  /** The team that owns the service: the `team` label of its alerts and the default owner in routing. */
  readonly owner: string;
  readonly metrics: Readonly<Record<string, ContractMetric>>;
}

const httpCodes = ["200", "201", "400", "404", "429", "500", "502", "503", "504"] as const;

/** The metric contract of the four services. */
export const metricContract: Readonly<Record<ServiceKey, ServiceContract>> = {
  ryot: {
    displayName: "Ryot",
    description: "LLM inference",
    owner: "inference",
    metrics: {
      requests: {
        kind: "counter",
        name: "ryot_requests_total",
        help: "Inference API requests by route and HTTP status code; 5xx are failures, 4xx (including 429 quota) are the caller's",
        labels: { route: ["/v1/completions", "/v1/chat/completions", "/v1/embeddings"], code: httpCodes },
      },
      timeToFirstToken: {
        kind: "histogram",
        name: "ryot_time_to_first_token_seconds",
        help: "Time from request accepted to the first streamed token",
        unit: "seconds",
        buckets: [0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5],
        labels: { model: ["ryot-large", "ryot-small"] },
      },
    },
  },
  sigmalang: {
    displayName: "ΣLANG",
    description: "compression",
    owner: "compression",
    metrics: {
      requests: {
        kind: "counter",
        name: "sigmalang_requests_total",
        help: "Compression API requests by operation and HTTP status code; 5xx are failures",
        labels: { operation: ["compress", "decompress"], code: httpCodes },
      },
      compressionRatio: {
        kind: "histogram",
        name: "sigmalang_compression_ratio",
        help: "Input size divided by output size, one observation per completed compression",
        unit: "ratio",
        buckets: [1, 1.5, 2, 2.5, 3, 4, 6, 8, 12, 16],
        labels: { codec: ["sigma-text", "sigma-binary"] },
      },
    },
  },
  sigmavault: {
    displayName: "ΣVAULT",
    description: "storage",
    owner: "storage",
    metrics: {
      operations: {
        kind: "counter",
        name: "sigmavault_operations_total",
        help: "Storage operations by operation and result; result=\"error\" is a failure, not_found is a normal answer",
        labels: { operation: ["read", "write", "delete"], result: ["ok", "not_found", "error"] },
      },
      operationDuration: {
        kind: "histogram",
        name: "sigmavault_operation_duration_seconds",
        help: "Server-side duration of a storage operation",
        unit: "seconds",
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
        labels: { operation: ["read", "write", "delete"] },
      },
    },
  },
  agents: {
    displayName: "Agent Collective",
    description: "agent task orchestration",
    owner: "agents",
    metrics: {
      tasks: {
        kind: "counter",
        name: "agents_tasks_total",
        help: "Finished agent tasks by agent type and result; failure and timeout are failures, cancelled is the caller's",
        labels: { agent_type: ["planner", "executor", "reviewer"], result: ["success", "failure", "timeout", "cancelled"] },
      },
      taskDuration: {
        kind: "histogram",
        name: "agents_task_duration_seconds",
        help: "Duration of one agent task step, dispatch to result",
        unit: "seconds",
        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        labels: { agent_type: ["planner", "executor", "reviewer"] },
      },
    },
  },
};

/**
 * Formats a bucket boundary the way Prometheus client libraries write the `le` label (shortest float form, so
 * 0.1 -> "0.1", 3 -> "3"); selectors must use exactly this text.
 */
export function formatLe(bound: number): string {
  return String(bound);
}

/** A concrete series name of the contract: a counter name or a histogram's `_bucket`, `_count` or `_sum`. */
export interface ResolvedSeries {
  readonly metric: ContractMetric;
  readonly suffix: "" | "_bucket" | "_count" | "_sum";
}

/** Finds which contract metric of `service` a series name belongs to, or undefined if it is not in the contract. */
export function resolveSeries(service: ServiceKey, seriesName: string): ResolvedSeries | undefined {
  for (const metric of Object.values(metricContract[service].metrics)) {
    if (metric.kind === "counter" && metric.name === seriesName) return { metric, suffix: "" };
    if (metric.kind === "histogram") {
      for (const suffix of ["_bucket", "_count", "_sum"] as const) {
        if (`${metric.name}${suffix}` === seriesName) return { metric, suffix };
      }
    }
  }
  return undefined;
}

/** Every series name a service's contract allows, for error messages. */
export function contractSeriesNames(service: ServiceKey): string[] {
  return Object.values(metricContract[service].metrics).flatMap((metric) =>
    metric.kind === "counter" ? [metric.name] : ["_bucket", "_count", "_sum"].map((s) => `${metric.name}${s}`),
  );
}
