import { serviceKeys } from "../../catalog";
import type { SamplingConfig } from "../../config/tracing";

/**
 * The gateway's tail-sampling policies, generated from `tracing.sampling`: one pair per catalogued service and a
 * default for every other service. `tests/support/sampling-model.ts` evaluates these very policies against a traffic
 * mix to predict what Jaeger stores.
 */

/** One `tail_sampling` policy, in the collector's configuration shape. */
export type TailPolicy =
  | { name: string; type: "status_code"; status_code: { status_codes: ("ERROR" | "OK" | "UNSET")[] } }
  | { name: string; type: "latency"; latency: { threshold_ms: number } }
  | { name: string; type: "probabilistic"; probabilistic: { sampling_percentage: number } }
  | { name: string; type: "string_attribute"; string_attribute: { key: string; values: string[]; invert_match?: boolean } }
  | { name: string; type: "and"; and: { and_sub_policy: TailPolicy[] } };

/** A rate in [0,1] as the collector's `sampling_percentage`, free of floating-point noise (0.15 -> 15, not 15.000000000000002). */
export function percentage(rate: number): number {
  return Math.round(rate * 1e6) / 1e4;
}

const serviceIs = (name: string, values: string[], invert = false): TailPolicy => ({
  name,
  type: "string_attribute",
  string_attribute: { key: "service.name", values, ...(invert ? { invert_match: true } : {}) },
});

const keep = (name: string, rate: number): TailPolicy => ({
  name,
  type: "probabilistic",
  probabilistic: { sampling_percentage: percentage(rate) },
});

/**
 * The policies, evaluated as OR by the processor: every trace with an error span; per service, slow traces at the
 * amplified rate and the rest at the baseline rate; every other service at the default rate.
 *
 * No `hash_salt` is set, so every probabilistic policy hashes the trace ID the same way: a trace kept at 20% is also
 * kept at 50%, and a slow trace is kept at max(rate, slowRate) rather than at a compounded rate.
 */
export function tailSamplingPolicies(s: SamplingConfig): TailPolicy[] {
  const policies: TailPolicy[] = [{ name: "errors", type: "status_code", status_code: { status_codes: ["ERROR"] } }];
  for (const key of serviceKeys) {
    const p = s.services[key];
    policies.push({
      name: `${key}-slow`,
      type: "and",
      and: {
        and_sub_policy: [
          serviceIs(`${key}-service`, p.serviceNames),
          { name: `${key}-latency`, type: "latency", latency: { threshold_ms: p.slowThresholdMs } },
          keep(`${key}-slow-rate`, p.slowRate),
        ],
      },
    });
    policies.push({
      name: `${key}-baseline`,
      type: "and",
      and: { and_sub_policy: [serviceIs(`${key}-service`, p.serviceNames), keep(`${key}-rate`, p.rate)] },
    });
  }
  const known = serviceKeys.flatMap((key) => s.services[key].serviceNames);
  policies.push({
    name: "default-baseline",
    type: "and",
    and: { and_sub_policy: [serviceIs("other-services", known, true), keep("default-rate", s.defaultRate)] },
  });
  return policies;
}
