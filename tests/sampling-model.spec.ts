import { strict as assert } from "assert";
import { serviceCatalog } from "../catalog";
import { validateStackConfig } from "../config";
import { serviceKeys } from "../catalog";
import { type TailPolicy, percentage, tailSamplingPolicies } from "../components/tracing-tier/sampling";
import { stackValues } from "./support/harness";
import { formatSamplingModel, keptFraction, peakTrafficMix, samplingModel } from "./support/sampling-model";

/** The sampling section of the committed prod stack, optionally edited. */
function samplingFor(edit: (tracing: Record<string, any>) => void = () => {}) {
  const values = stackValues("prod");
  values.tracing ??= {};
  edit(values.tracing);
  return validateStackConfig(values).tracing;
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
  const { sampling, gateway } = samplingFor();
  const policies = tailSamplingPolicies(sampling);

  it("writes rates as exact collector percentages", () => {
    assert.equal(percentage(0.15), 15);
    assert.equal(percentage(0.0005), 0.05);
    const rates = policies
      .filter((p) => p.name.endsWith("-baseline"))
      .map((p) => (p.type === "and" ? p.and.and_sub_policy.find((s) => s.type === "probabilistic") : undefined))
      .map((p) => (p?.type === "probabilistic" ? p.probabilistic.sampling_percentage : undefined));
    assert.deepEqual(rates, [...serviceKeys.map((k) => percentage(sampling.services[k].rate)), percentage(sampling.defaultRate)]);
  });

  it("keeps every policy on one trace-ID hash (no hash_salt), which the model's nesting relies on", () => {
    walk(policies, (p) => {
      if (p.type === "probabilistic") assert.deepEqual(Object.keys(p.probabilistic), ["sampling_percentage"], p.name);
    });
  });

  it("keeps every error trace of every service, fast or slow", () => {
    for (const serviceName of [...serviceKeys.flatMap((k) => sampling.services[k].serviceNames), "batch-jobs"]) {
      for (const durationMs of [1, 60_000]) {
        assert.equal(keptFraction(policies, { serviceName, error: true, durationMs }), 1, `${serviceName} error ${durationMs}ms`);
      }
    }
  });

  it("keeps slow traces of each service at its amplified rate, others at its baseline, unlisted services at the default", () => {
    const t = (serviceName: string, durationMs: number) => keptFraction(policies, { serviceName, error: false, durationMs });
    for (const key of serviceKeys) {
      const p = sampling.services[key];
      for (const name of p.serviceNames) {
        close(t(name, p.slowThresholdMs - 1), p.rate, `${name} below its threshold`);
        close(t(name, p.slowThresholdMs), p.slowRate, `${name} at its threshold`);
      }
    }
    close(t("batch-jobs", 60_000), sampling.defaultRate, "unlisted service, slow or not");
    close(t("batch-jobs", 1), sampling.defaultRate, "unlisted service, fast");
  });

  it("predicts the stored volume of the peak mix and keeps all of its errors", () => {
    const model = samplingModel(policies, peakTrafficMix);
    console.log(`\n${formatSamplingModel(model)}\n`);
    for (const row of model.rows) {
      close(row.errorsKeptPerSecond, row.errorsPerSecond, `${row.service} errors kept`);
    }
    // ryot's slow traces pass its threshold and its fast ones do not: errors kept whole; of the rest, the slow share
    // at the slow rate and the others at the baseline.
    const mix = peakTrafficMix.ryot;
    const ryot = sampling.services.ryot;
    assert.ok(mix.fastMs < ryot.slowThresholdMs && mix.slowMs >= ryot.slowThresholdMs);
    close(
      model.rows.find((r) => r.service === "ryot")!.keptFraction,
      mix.errorFraction + (1 - mix.errorFraction) * (mix.slowFraction * ryot.slowRate + (1 - mix.slowFraction) * ryot.rate),
      "ryot kept share",
    );
    assert.ok(model.totalPerSecond <= gateway.expectedNewTracesPerSec, `the gateway is sized for ${gateway.expectedNewTracesPerSec}/s, the peak mix is ${model.totalPerSecond}/s`);
    assert.ok(model.keptFraction > 0.15 && model.keptFraction < 0.3, `kept share ${model.keptFraction} outside the storage budget of 15-30%`);
  });

  it("follows the configured rates, not constants", () => {
    const raised = tailSamplingPolicies(samplingFor((t) => (t.sampling = { services: { ryot: { rate: 0.4, slowRate: 0.8 } }, defaultRate: 0.01 })).sampling);
    const before = samplingModel(policies, peakTrafficMix).rows.find((r) => r.service === "ryot")!;
    const after = samplingModel(raised, peakTrafficMix).rows.find((r) => r.service === "ryot")!;
    close(after.keep.okFast, 0.4, "ryot raised baseline");
    close(after.keep.okSlow, 0.8, "ryot raised slow rate");
    assert.ok(after.keptPerSecond > before.keptPerSecond);
    close(keptFraction(raised, { serviceName: "batch-jobs", error: false, durationMs: 10 }), 0.01, "default rate");
  });

  it("gives each catalogued service its own policy pair, with its catalog defaults when the stack sets none", () => {
    const defaults = samplingFor((t) => delete t.sampling).sampling;
    for (const entry of serviceCatalog) {
      const p = defaults.services[entry.key];
      assert.deepEqual([p.rate, p.slowThresholdMs, p.slowRate], [entry.sampling.rate, entry.sampling.slowThresholdMs, entry.sampling.slowRate], entry.key);
      const names = tailSamplingPolicies(defaults).map((policy) => policy.name);
      assert.ok(names.includes(`${entry.key}-slow`) && names.includes(`${entry.key}-baseline`), `${entry.key}: ${names.join(", ")}`);
    }
  });
});
