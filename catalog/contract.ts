/**
 * The shapes of a service's metric contract: the series it exposes for its SLOs and dashboards. A service that
 * renames a metric or moves a bucket boundary breaks its contract and the `SLIMetricAbsent` alert fires.
 */

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

/** HTTP status codes an HTTP API reports in its `code` label (representative: 5xx are server errors). */
export const httpCodes = ["200", "201", "400", "404", "429", "500", "502", "503", "504"] as const;

/**
 * Formats a bucket boundary the way Prometheus client libraries write the `le` label (shortest float form, so
 * 0.1 -> "0.1", 3 -> "3"); selectors must use exactly this text.
 */
export function formatLe(bound: number): string {
  return String(bound);
}
