/**
 * Input series of the alert-quality scenarios: the counters that make an SLI see a traffic profile, with label values
 * solved from the metric contract so the series match the rules' selectors as an upgraded Prometheus stores them.
 */
import { serviceJob } from "../../../rules/jobs";
import { formatLe, resolveSeries } from "../../../rules/metrics";
import { renderSelector, sliSelectors } from "../../../rules/promql";
import type { Phase } from "../../../rules/scenarios";
import { matcherAccepts, type Matcher, type Selector, type Slo } from "../../../rules/slo";

const tidyNumber = (n: number): string => String(Number(n.toPrecision(12)));

/** Cumulative counter values at every sample, in promtool's expanding notation (`a+bxn` per phase). */
export function counterValues(phases: readonly Phase[], interval: number, perSample: (phase: Phase) => number): string {
  const tokens = ["0"];
  let value = 0;
  for (const phase of phases) {
    const samples = phase.seconds / interval;
    if (!Number.isInteger(samples) || samples < 1) throw new Error(`a phase of ${phase.seconds}s is not a whole number of ${interval}s samples`);
    const increment = perSample(phase);
    const first = value + increment;
    tokens.push(samples === 1 ? tidyNumber(first) : `${tidyNumber(first)}+${tidyNumber(increment)}x${samples - 1}`);
    value += increment * samples;
  }
  return tokens.join(" ");
}

type Labels = Record<string, string>;

/**
 * Label values for a series that `accept` says yes to, from the values the metric contract declares (the first
 * declared value of each label that is not constrained). Undefined when no declared value fits.
 */
function solveLabels(slo: Slo, series: string, accept: (label: string, value: string) => boolean, mustReject?: Matcher[]): Labels | undefined {
  const resolved = resolveSeries(slo.service, series);
  if (!resolved) throw new Error(`${series} is not in the ${slo.service} metric contract`);
  const declared = resolved.metric.labels;
  const base: Labels = {};
  for (const [label, values] of Object.entries(declared)) {
    const fit = values.find((v) => accept(label, v));
    if (fit === undefined) return undefined;
    base[label] = fit;
  }
  if (!mustReject || mustReject.length === 0) return base;
  for (const m of mustReject) {
    const values = declared[m.label] ?? [];
    const fit = values.find((v) => accept(m.label, v) && !matcherAccepts(m, v));
    if (fit !== undefined) return { ...base, [m.label]: fit };
  }
  return undefined;
}

const acceptsAll = (matchers: readonly Matcher[]) => (label: string, value: string): boolean =>
  matchers.filter((m) => m.label === label).every((m) => matcherAccepts(m, value));

/** A bucket boundary as Prometheus 3 stores it: whole numbers in float form ("3.0"), others as written. */
export function storedLe(bound: number): string {
  return Number.isInteger(bound) ? `${bound}.0` : formatLe(bound);
}

/**
 * A concrete series for a selector: its equality matchers, the solved label values, and for a bucket selector the
 * boundary in the form Prometheus 3 stores, so the tests prove the rules match what an upgraded server holds.
 */
function seriesText(slo: Slo, selector: Selector, labels: Labels): string {
  const fixed = Object.fromEntries(selector.matchers.filter((m) => m.op === "=" && m.label !== "le").map((m) => [m.label, m.value]));
  const le = selector.matchers.filter((m) => m.label === "le");
  const all: Labels = { ...labels, ...fixed };
  if (le.length > 0) {
    const metric = resolveSeries(slo.service, selector.metric)?.metric;
    const bounds = metric?.kind === "histogram" ? metric.buckets : [];
    const stored = bounds.map(storedLe).find((v) => le.every((m) => matcherAccepts(m, v)));
    if (stored === undefined) throw new Error(`no bucket of ${selector.metric} in its stored form matches ${renderSelector(selector.metric, le)}`);
    all.le = stored;
  }
  return renderSelector(selector.metric, Object.entries(all).map(([label, value]) => ({ label, op: "=" as const, value })));
}

/** One input series of a promtool test group. */
export interface InputSeries {
  series: string;
  values: string;
}

/**
 * Input series that make the SLI see `phases`: for a ratio SLI on one counter, a good and a bad series; for a
 * ratio over two series, errors and total; for a latency SLI, the threshold bucket (good) and `_count` (all).
 * Plus `up` for the service's job, so the service is not reported down.
 */
export function inputSeries(slo: Slo, phases: readonly Phase[], interval: number): InputSeries[] {
  const selectors = sliSelectors(slo);
  const good = (p: Phase): number => p.eventRate * interval * (1 - p.errorRatio);
  const bad = (p: Phase): number => p.eventRate * interval * p.errorRatio;
  const all = (p: Phase): number => p.eventRate * interval;
  const labelsFor = (selector: Selector, reject?: Matcher[]): Labels => {
    const labels = solveLabels(slo, selector.metric, acceptsAll(selector.matchers), reject);
    if (!labels) throw new Error(`no declared label values of ${selector.metric} satisfy ${renderSelector(selector.metric, selector.matchers)}`);
    return labels;
  };
  const up = { series: `up{job=${JSON.stringify(serviceJob(slo.service))}}`, values: `1+0x${Math.round(phases.reduce((s, p) => s + p.seconds, 0) / interval)}` };
  if (selectors.good) {
    return [
      { series: seriesText(slo, selectors.good, labelsFor(selectors.good)), values: counterValues(phases, interval, good) },
      { series: seriesText(slo, selectors.total, labelsFor(selectors.total)), values: counterValues(phases, interval, all) },
      up,
    ];
  }
  const errors = selectors.errors as Selector;
  if (errors.metric === selectors.total.metric) {
    const rejecting = errors.matchers.filter((m) => !selectors.total.matchers.includes(m));
    return [
      { series: seriesText(slo, errors, labelsFor(errors)), values: counterValues(phases, interval, bad) },
      { series: seriesText(slo, selectors.total, labelsFor(selectors.total, rejecting)), values: counterValues(phases, interval, good) },
      up,
    ];
  }
  return [
    { series: seriesText(slo, errors, labelsFor(errors)), values: counterValues(phases, interval, bad) },
    { series: seriesText(slo, selectors.total, labelsFor(selectors.total)), values: counterValues(phases, interval, all) },
    up,
  ];
}
