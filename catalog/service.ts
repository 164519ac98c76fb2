/**
 * One entry of the service catalog: everything the stack knows about a service it monitors. Rules, the scrape job,
 * alert routing, the sampling policy and the dashboards are all derived from the entries in `services/index.ts`.
 */
import type { ServiceSloSpec } from "../rules/slo";
import type { ContractMetric } from "./contract";

/**
 * Defaults of the service's tail-sampling policy in the trace gateway; a stack overrides them under
 * `tracing.sampling.services.<key>`. `slowRate` applies to traces longer than `slowThresholdMs`: the latency policy
 * measures the whole trace (first span start to last span end), so the threshold sits well above the service's
 * latency target.
 */
export interface SamplingDefaults {
  readonly rate: number;
  readonly slowThresholdMs: number;
  readonly slowRate: number;
  /** Values of the `service.name` resource attribute the service's SDKs report; absent: the service key. */
  readonly serviceNames?: readonly string[];
}

export interface ServiceEntry<K extends string = string> {
  /**
   * The `service` label on every SLO series and alert, the scrape job name, the `slo-<key>` dashboard uid and the
   * key of the service's config (`alerting.owners.<key>`, `tracing.sampling.services.<key>`).
   */
  readonly key: K;
  readonly displayName: string;
  /** What the service does, in a few words (dashboard rows and alert summaries say "<displayName> (<description>)"). */
  readonly description: string;
  /** The owning team: the `team` label of its alerts and, by default, who its pages and tickets are routed to. */
  readonly owner: string;
  /** The metric contract: the series the service exposes, by a name the SLOs and dashboards refer to. */
  readonly metrics: Readonly<Record<string, ContractMetric>>;
  /** The service's SLOs, in the order dashboards list them; each is validated against `metrics`. */
  readonly slos: readonly ServiceSloSpec[];
  readonly sampling: SamplingDefaults;
}

/** Types an entry, keeping its key as a literal type so `ServiceKey` is the union of the catalog's keys. */
export function defineService<K extends string>(entry: ServiceEntry<K>): ServiceEntry<K> {
  return entry;
}

/** The `service.name` values of an entry's traces when a stack sets none. */
export function defaultServiceNames(entry: ServiceEntry): readonly string[] {
  return entry.sampling.serviceNames ?? [entry.key];
}
