/**
 * The metric contract: the series each catalogued service exposes for its SLOs and dashboards, as the rules read it.
 * SLO specs, the generated rules and the dashboards read metric names, labels and histogram bucket boundaries from
 * here; the contracts themselves are part of each service's catalog entry (`catalog/services/<key>.ts`).
 */
import { serviceCatalog, serviceKeys, type ContractMetric, type ServiceEntry, type ServiceKey } from "../catalog";

export { formatLe, type ContractMetric, type CounterMetric, type HistogramMetric, type LabelValues } from "../catalog";
/** Service keys, in display order; also the values of the `service` label on every SLO series and alert. */
export { serviceKeys, type ServiceKey };

/** What the rules and slos.json carry of a catalog entry: who the service is and what it promises to expose. */
export type ServiceContract = Pick<ServiceEntry, "displayName" | "description" | "owner" | "metrics">;

/** The metric contract of every catalogued service, by key. */
export const metricContract: Readonly<Record<ServiceKey, ServiceContract>> = Object.fromEntries(
  serviceCatalog.map((s): [ServiceKey, ServiceContract] => [s.key, { displayName: s.displayName, description: s.description, owner: s.owner, metrics: s.metrics }]),
) as Record<ServiceKey, ServiceContract>;

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
