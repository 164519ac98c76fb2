import { strict as assert } from "assert";
import { validateStackConfig } from "../config";
import { tracedServices } from "../config/tracing";
import {
  type TailPolicy,
  formatSamplingModel,
  keptFraction,
  percentage,
  plannedTrafficMix,
  samplingModel,
  tailSamplingPolicies,
} from "../components/tracing-tier/sampling";
import { stackValues } from "./support/harness";
import { proposedTracing } from "./tracing-fixtures";

function samplingFor(edit: (tracing: Record<string, any>) => void = () => {}) {
  const values = stackValues("prod");
  values.tracing = structuredClone(proposedTracing.prod);
  edit(values.tracing);
  return validateStackConfig(values).tracing.sampling;
}

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: expected ${expected}, got ${actual}`);

function walk(policies: TailPolicy[], visit: (p: TailPolicy) => void): void {
  for (const p of policies) {
    visit(p);
    if (p.type === "and") walk(p.and.and_sub_policy, visit);
  }
}

describe("tail-sampling policies and the sampling model", () => {
  const policies = tailSamplingPolicies(samplingFor());

  it("writes rates as exact collector percentages", () => {
    assert.equal(percentage(0.15), 15);
    assert.equal(percentage(0.0005), 0.05);
    const rates = policies
      .filter((p) => p.name.endsWith("-baseline"))
      .map((p) => (p.type === "and" ? p.and.and_sub_policy.find((s) => s.type === "probabilistic") : undefined))
      .map((p) => (p?.type === "probabilistic" ? p.probabilistic.sampling_percentage : undefined));
    assert.deepEqual(rates, [20, 15, 25, 10, 5]);
  });

  it("keeps every policy on one trace-ID hash (no hash_salt), which the model's nesting relies on", () => {
    walk(policies, (p) => {
      if (p.type === "probabilistic") assert.deepEqual(Object.keys(p.probabilistic), ["sampling_percentage"], p.name);
    });
  });

  it("keeps every error trace of every service, fast or slow", () => {
    for (const serviceName of [...tracedServices, "batch-jobs"]) {
      for (const durationMs of [1, 60_000]) {
        assert.equal(keptFraction(policies, { serviceName, error: true, durationMs }), 1, `${serviceName} error ${durationMs}ms`);
      }
    }
  });

  it("keeps slow traces at the amplified rate and others at the baseline of their service", () => {
    const t = (serviceName: string, durationMs: number) => keptFraction(policies, { serviceName, error: false, durationMs });
    close(t("ryot", 4999), 0.2, "ryot below threshold");
    close(t("ryot", 5000), 0.5, "ryot at threshold");
    close(t("sigmavault", 49), 0.25, "sigmavault fast");
    close(t("sigmavault", 51), 1, "sigmavault slow");
    close(t("agents", 300), 0.5, "agents slow");
    close(t("batch-jobs", 60_000), 0.05, "unlisted service, slow or not");
  });

  it("predicts the stored volume of the planned mix and keeps all of its errors", () => {
    const model = samplingModel(policies, plannedTrafficMix);
    console.log(`\n${formatSamplingModel(model)}\n`);
    for (const row of model.rows) {
      close(row.errorsKeptPerSecond, row.errorsPerSecond, `${row.service} errors kept`);
    }
    // ryot: 1% errors kept whole; of the rest, 5% slow at 50% and 95% at 20%.
    const ryot = model.rows.find((r) => r.service === "ryot")!;
    close(ryot.keptFraction, 0.01 + 0.99 * (0.05 * 0.5 + 0.95 * 0.2), "ryot kept share");
    close(model.totalPerSecond, 2100, "total traces/s");
    // sigmavault: slow traces (2%) are all kept, the rest at 25%.
    close(model.rows.find((r) => r.service === "sigmavault")!.keptFraction, 0.002 + 0.998 * (0.02 * 1 + 0.98 * 0.25), "sigmavault kept share");
    assert.ok(model.keptFraction > 0.15 && model.keptFraction < 0.3, `kept share ${model.keptFraction} outside the storage budget of 15-30%`);
  });

  it("follows the configured rates, not constants", () => {
    const raised = tailSamplingPolicies(samplingFor((t) => (t.sampling = { services: { ryot: { rate: 0.4, slowRate: 0.8 } }, defaultRate: 0.01 })));
    const before = samplingModel(policies, plannedTrafficMix).rows.find((r) => r.service === "ryot")!;
    const after = samplingModel(raised, plannedTrafficMix).rows.find((r) => r.service === "ryot")!;
    close(after.keep.okFast, 0.4, "ryot raised baseline");
    close(after.keep.okSlow, 0.8, "ryot raised slow rate");
    assert.ok(after.keptPerSecond > before.keptPerSecond);
    close(keptFraction(raised, { serviceName: "batch-jobs", error: false, durationMs: 10 }), 0.01, "default rate");
  });
});
