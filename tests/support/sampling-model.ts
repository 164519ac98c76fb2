/**
 * A model of the gateway's tail sampling, for tests: it evaluates the policies `tailSamplingPolicies` generates
 * against a traffic mix and predicts what Jaeger stores.
 */
import type { TailPolicy } from "../../components/tracing-tier/sampling";

/** A class of traces as the sampler sees them. */
export interface TraceShape {
  serviceName: string;
  error: boolean;
  durationMs: number;
}

/**
 * The fraction of trace IDs a policy keeps for traces of one shape. Probabilistic policies keep the trace IDs whose
 * hash falls below their percentage, so with one shared hash an `and` keeps the smallest of its parts and the OR of
 * the top level keeps the largest.
 */
export function keepProbability(policy: TailPolicy, t: TraceShape): number {
  switch (policy.type) {
    case "status_code":
      return policy.status_code.status_codes.includes(t.error ? "ERROR" : "OK") ? 1 : 0;
    case "latency":
      return t.durationMs >= policy.latency.threshold_ms ? 1 : 0;
    case "probabilistic":
      return policy.probabilistic.sampling_percentage / 100;
    case "string_attribute": {
      const hit = policy.string_attribute.key === "service.name" && policy.string_attribute.values.includes(t.serviceName);
      return hit !== Boolean(policy.string_attribute.invert_match) ? 1 : 0;
    }
    case "and":
      return Math.min(...policy.and.and_sub_policy.map((p) => keepProbability(p, t)));
  }
}

/** The fraction of traces of one shape the whole policy list keeps. */
export function keptFraction(policies: TailPolicy[], t: TraceShape): number {
  return Math.max(0, ...policies.map((p) => keepProbability(p, t)));
}

/** Traffic of one service: new traces per second and the share that errors or runs slow (independent). */
export interface ServiceTraffic {
  serviceName: string;
  tracesPerSecond: number;
  errorFraction: number;
  slowFraction: number;
  /** Trace durations used for the fast and slow classes. */
  fastMs: number;
  slowMs: number;
}

/**
 * A synthetic peak mix: traces/s per service (2,100/s in all, the tier's expected peak), and their error and slow
 * shares. The "other" row stands for every service without its own policy (internal tools, batch jobs).
 */
export const peakTrafficMix: Readonly<Record<string, ServiceTraffic>> = {
  ryot: { serviceName: "ryot", tracesPerSecond: 300, errorFraction: 0.01, slowFraction: 0.05, fastMs: 1500, slowMs: 12000 },
  sigmalang: { serviceName: "sigmalang", tracesPerSecond: 400, errorFraction: 0.005, slowFraction: 0.03, fastMs: 40, slowMs: 600 },
  sigmavault: { serviceName: "sigmavault", tracesPerSecond: 800, errorFraction: 0.002, slowFraction: 0.02, fastMs: 6, slowMs: 120 },
  agents: { serviceName: "agents", tracesPerSecond: 500, errorFraction: 0.01, slowFraction: 0.08, fastMs: 30, slowMs: 900 },
  other: { serviceName: "batch-jobs", tracesPerSecond: 100, errorFraction: 0.01, slowFraction: 0.05, fastMs: 200, slowMs: 20000 },
};

export interface SamplingRow {
  service: string;
  tracesPerSecond: number;
  /** P(kept) for each class of trace: ok or error, fast or slow. */
  keep: { okFast: number; okSlow: number; errorFast: number; errorSlow: number };
  /** Expected share of this service's traces that is stored. */
  keptFraction: number;
  keptPerSecond: number;
  errorsPerSecond: number;
  errorsKeptPerSecond: number;
}

export interface SamplingModel {
  rows: SamplingRow[];
  totalPerSecond: number;
  keptPerSecond: number;
  keptFraction: number;
}

/**
 * Expected stored volume per service for a traffic mix under the given policies. Each service's traffic splits into
 * error/ok x slow/fast classes (independent shares); each class is kept with the probability the policies give it.
 */
export function samplingModel(policies: TailPolicy[], mix: Record<string, ServiceTraffic>): SamplingModel {
  const rows = Object.entries(mix).map(([service, m]): SamplingRow => {
    const shape = (error: boolean, slow: boolean): TraceShape => ({ serviceName: m.serviceName, error, durationMs: slow ? m.slowMs : m.fastMs });
    const keep = {
      okFast: keptFraction(policies, shape(false, false)),
      okSlow: keptFraction(policies, shape(false, true)),
      errorFast: keptFraction(policies, shape(true, false)),
      errorSlow: keptFraction(policies, shape(true, true)),
    };
    const e = m.errorFraction;
    const s = m.slowFraction;
    const fraction =
      (1 - e) * (1 - s) * keep.okFast + (1 - e) * s * keep.okSlow + e * (1 - s) * keep.errorFast + e * s * keep.errorSlow;
    const errorsPerSecond = m.tracesPerSecond * e;
    return {
      service,
      tracesPerSecond: m.tracesPerSecond,
      keep,
      keptFraction: fraction,
      keptPerSecond: m.tracesPerSecond * fraction,
      errorsPerSecond,
      errorsKeptPerSecond: errorsPerSecond * ((1 - s) * keep.errorFast + s * keep.errorSlow),
    };
  });
  const totalPerSecond = rows.reduce((sum, r) => sum + r.tracesPerSecond, 0);
  const keptPerSecond = rows.reduce((sum, r) => sum + r.keptPerSecond, 0);
  return { rows, totalPerSecond, keptPerSecond, keptFraction: totalPerSecond === 0 ? 0 : keptPerSecond / totalPerSecond };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const num = (x: number) => x.toFixed(1);

/** The model as a Markdown table (what the README shows). */
export function formatSamplingModel(model: SamplingModel): string {
  const header = [
    "| service | traces/s | kept: ok fast | ok slow | errors | kept share | kept traces/s | errors/s | errors kept/s |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  const body = model.rows.map(
    (r) =>
      `| ${r.service} | ${num(r.tracesPerSecond)} | ${pct(r.keep.okFast)} | ${pct(r.keep.okSlow)} | ${pct(Math.min(r.keep.errorFast, r.keep.errorSlow))} | ` +
      `${pct(r.keptFraction)} | ${num(r.keptPerSecond)} | ${num(r.errorsPerSecond)} | ${num(r.errorsKeptPerSecond)} |`,
  );
  const total = `| **total** | ${num(model.totalPerSecond)} | | | | ${pct(model.keptFraction)} | ${num(model.keptPerSecond)} | | |`;
  return [...header, ...body, total].join("\n");
}
