/**
 * Alert-quality scenarios, generated from an SLO spec and the metric contract: traffic/error profiles, the input
 * series that make an SLI see them, and the burn-rate arithmetic that says which alerts must fire when. The
 * promtool test files are assembled from these in `promtool-tests.ts`.
 */
import { serviceJob } from "./jobs";
import { formatLe, resolveSeries } from "./metrics";
import { renderSelector, sliSelectors } from "./promql";
import {
  burnFactor, burnWindows, errorBudget, hardFailureRatio, matcherAccepts, windowSeconds,
  type BurnWindow, type Matcher, type Selector, type Slo,
} from "./slo";
import { sloAlertNames } from "./slo-rules";

/** A stretch of constant traffic: events per second and the share of them that fail the SLI. */
export interface Phase {
  seconds: number;
  eventRate: number;
  errorRatio: number;
}

export type ScenarioName = "outage" | "blip" | "slow-burn" | "low-traffic";

/** A traffic profile with the window of interest (incident start/end) and how densely to probe it. */
export interface Scenario {
  name: ScenarioName;
  description: string;
  /** Seconds between input samples (the scrape interval). */
  sampleInterval: number;
  /** Seconds between rule evaluations; scenarios sharing a test file share it. */
  evalInterval: number;
  phases: Phase[];
  incident: { start: number; end: number };
  /** Times (s) at which expectations are written. */
  checks: number[];
  /** Alert names the scenario's expectations and probes cover. */
  alertnames: string[];
  /** Probed times: every `step` seconds from `from` to `to`. */
  probe: { from: number; to: number; step: number };
}

const minute = 60;
const hour = 3600;
const day = 86_400;

/** Traffic the scenarios run at: ten times the SLO's minimum, so only the low-traffic scenario falls under the guard. */
export function normalRate(slo: Slo): number {
  return slo.minimumEventRate * 10;
}

/**
 * Clean traffic before each short incident. Two hours fill the 1h windows and keep a 30 s blip under the 6h/30m
 * page threshold of a 99.9% SLO with room to spare (0.5 min / 120 min = 0.42% < 0.6%); promtool evaluates every
 * rule at every step from zero, so each extra hour of history costs test time.
 */
export const warmup = 2 * hour;

/**
 * The five scenarios of the issue; `outage` also covers recovery. Minutes matter for the short incidents (30 s
 * scrapes, 1 min evaluations); the slow burn runs for days, so it samples every 5 min and evaluates every 30.
 */
export function scenarios(slo: Slo): Scenario[] {
  const rate = normalRate(slo);
  const pages = [sloAlertNames.fastBurn, sloAlertNames.hardFailure];
  const outage = 10 * minute;
  const slowHistory = day;
  const quiet = slo.minimumEventRate / 2;
  return [
    {
      name: "outage",
      description: `total failure for ${outage / minute} min, then recovery`,
      sampleInterval: 30,
      evalInterval: minute,
      phases: [
        { seconds: warmup, eventRate: rate, errorRatio: 0 },
        { seconds: outage, eventRate: rate, errorRatio: 1 },
        { seconds: 35 * minute, eventRate: rate, errorRatio: 0 },
      ],
      incident: { start: warmup, end: warmup + outage },
      checks: [2, 4, 10, 20, 40].map((m) => warmup + m * minute),
      alertnames: [...pages, sloAlertNames.slowBurn, sloAlertNames.absent, sloAlertNames.componentDown],
      probe: { from: warmup - minute, to: warmup + outage + 35 * minute, step: minute },
    },
    {
      name: "blip",
      description: "30 s of total failure",
      sampleInterval: 30,
      evalInterval: minute,
      phases: [
        { seconds: warmup, eventRate: rate, errorRatio: 0 },
        { seconds: 30, eventRate: rate, errorRatio: 1 },
        { seconds: 15 * minute, eventRate: rate, errorRatio: 0 },
      ],
      incident: { start: warmup, end: warmup + 30 },
      checks: [1, 2, 5, 15].map((m) => warmup + m * minute),
      alertnames: pages,
      // Every window's error ratio only falls after the blip, so a page that has not fired by then never will.
      probe: { from: warmup - minute, to: warmup + 15 * minute, step: minute },
    },
    {
      name: "low-traffic",
      description: `total failure for 20 min at ${quiet} events/s, half the minimum`,
      sampleInterval: 30,
      evalInterval: minute,
      phases: [
        { seconds: warmup, eventRate: quiet, errorRatio: 0 },
        { seconds: 20 * minute, eventRate: quiet, errorRatio: 1 },
        { seconds: 5 * minute, eventRate: quiet, errorRatio: 0 },
      ],
      incident: { start: warmup, end: warmup + 20 * minute },
      checks: [2, 10, 20, 25].map((m) => warmup + m * minute),
      alertnames: pages,
      probe: { from: warmup - minute, to: warmup + 25 * minute, step: minute },
    },
    {
      name: "slow-burn",
      description: `errors at 2x the budget rate for 2 d after ${slowHistory / day} d of clean traffic`,
      sampleInterval: 5 * minute,
      evalInterval: 30 * minute,
      phases: [
        { seconds: slowHistory, eventRate: rate, errorRatio: 0 },
        { seconds: 2 * day, eventRate: rate, errorRatio: 2 * errorBudget(slo) },
      ],
      incident: { start: slowHistory, end: slowHistory + 2 * day },
      checks: [6 * hour, 12 * hour, 2 * day].map((t) => slowHistory + t),
      alertnames: [...pages, sloAlertNames.slowBurn],
      probe: { from: slowHistory - hour, to: slowHistory + 2 * day, step: 30 * minute },
    },
  ];
}

/** Duration text promtool accepts and prints: 6h2m30s. */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return "0s";
  const parts: string[] = [];
  let rest = Math.round(seconds);
  for (const [unit, size] of [["h", hour], ["m", minute], ["s", 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join("");
}

/** Parses a Prometheus duration as printed by promtool (1d2h, 6h2m30s, 500ms) into seconds. */
export function parseDuration(text: string): number {
  const units: Record<string, number> = { y: 365 * day, w: 7 * day, d: day, h: hour, m: minute, s: 1, ms: 0.001 };
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|y|w|d|h|m|s)/g)) total += Number(n) * units[unit];
  return total;
}

const tidyNumber = (n: number): string => String(Number(n.toPrecision(12)));

/** Cumulative counter values at every sample, in promtool's expanding notation (`a+bxn` per phase). */
export function counterValues(phases: readonly Phase[], interval: number, perSample: (phase: Phase) => number): string {
  const tokens = ["0"];
  let value = 0;
  for (const phase of phases) {
    const samples = Math.round(phase.seconds / interval);
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

/** Errors and events in (t - window, t] of a phase profile. */
function windowTotals(phases: readonly Phase[], t: number, window: number): { errors: number; events: number } {
  let start = 0;
  let errors = 0;
  let events = 0;
  const from = Math.max(0, t - window);
  for (const p of phases) {
    const overlap = Math.max(0, Math.min(t, start + p.seconds) - Math.max(from, start));
    events += overlap * p.eventRate;
    errors += overlap * p.eventRate * p.errorRatio;
    start += p.seconds;
  }
  return { errors, events };
}

/** Thresholds closer than this to the value are left unasserted: scrape alignment moves ratios by a few percent. */
const margin = 0.25;

/** Whether a condition holds, or "ambiguous" when it is too close to its threshold to assert. */
export type Verdict = boolean | "ambiguous";

function above(value: number, threshold: number): Verdict {
  if (threshold === 0) return value > 0;
  const r = value / threshold;
  if (Math.abs(r - 1) < margin) return "ambiguous";
  return r > 1;
}

function all(verdicts: Verdict[]): Verdict {
  if (verdicts.includes(false)) return false;
  return verdicts.includes("ambiguous") ? "ambiguous" : true;
}

/** What the burn-rate arithmetic says about one window pair at time t. */
export function burnVerdict(slo: Slo, phases: readonly Phase[], t: number, w: BurnWindow): Verdict {
  const threshold = burnFactor(w, slo.period) * errorBudget(slo);
  const ratio = (seconds: number): number => {
    const { errors, events } = windowTotals(phases, t, seconds);
    return events === 0 ? 0 : errors / events;
  };
  const verdicts = [above(ratio(windowSeconds(w.long)), threshold), above(ratio(windowSeconds(w.short)), threshold)];
  if (w.kind === "page") {
    verdicts.push(above(windowTotals(phases, t, windowSeconds(w.long)).events / windowSeconds(w.long), slo.minimumEventRate));
  }
  return all(verdicts);
}

/** What the arithmetic says about the hard-failure page at time t. */
export function hardFailureVerdict(slo: Slo, phases: readonly Phase[], t: number): Verdict {
  const short = windowTotals(phases, t, 5 * minute);
  const guard = windowSeconds(burnWindows[0].long);
  return all([
    above(short.events === 0 ? 0 : short.errors / short.events, hardFailureRatio),
    above(windowTotals(phases, t, guard).events / guard, slo.minimumEventRate),
  ]);
}
