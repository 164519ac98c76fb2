/**
 * The burn-rate arithmetic of the alert-quality scenarios: from a scenario's traffic profile, whether each alert's
 * condition holds at a probed time, or "ambiguous" when it is too close to its threshold to assert. The promtool test
 * files expect exactly what it is sure of.
 */
import type { Phase, Scenario } from "../../../rules/scenarios";
import {
  burnFactor, burnWindows, errorBudget, hardFailureRatio, hardFailureWindow, windowSeconds,
  type BurnWindow, type SliWindow, type Slo,
} from "../../../rules/slo";
import { minimumWindowFill, stillBurningWindow, windowFillSteps } from "../../../rules/slo-rules";

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

/**
 * Error ratio over a window at t, as `rate` sees it: from the increments between the samples inside (t - window, t],
 * the first of which is one sample interval after the window opens; over the part of the window that exists.
 */
function ratio(scenario: Scenario, t: number, window: SliWindow): number {
  const { errors, events } = windowTotals(scenario.phases, t, windowSeconds(window) - scenario.sampleInterval);
  return events === 0 ? 0 : errors / events;
}

/**
 * Whether `window` is filled enough to count at t. The 5m ratio the fill counts exists from the second sample on
 * (a rate needs two), and no scenario pauses traffic; the fill reads in steps, so a step either side is ambiguous.
 */
export function fillVerdict(scenario: Scenario, t: number, window: SliWindow): Verdict {
  if (scenario.phases.some((p) => p.eventRate <= 0)) throw new Error(`${scenario.name}: the fill arithmetic assumes traffic never pauses`);
  const seconds = windowSeconds(window);
  const fill = Math.min(seconds, Math.max(0, t - scenario.sampleInterval)) / seconds;
  const slack = 2 / windowFillSteps + scenario.evalInterval / seconds;
  if (Math.abs(fill - minimumWindowFill) <= slack) return "ambiguous";
  return fill >= minimumWindowFill;
}

/** What the burn-rate arithmetic says about one window pair at time t. */
export function burnVerdict(slo: Slo, scenario: Scenario, t: number, w: BurnWindow): Verdict {
  const threshold = burnFactor(w, slo.period) * errorBudget(slo);
  const { phases } = scenario;
  const windows = [w.long, w.short];
  if (w.kind === "page" && windowSeconds(w.short) > windowSeconds(stillBurningWindow)) windows.push(stillBurningWindow);
  const verdicts = windows.map((window) => above(ratio(scenario, t, window), threshold));
  if (w.kind === "page") {
    verdicts.push(above(windowTotals(phases, t, windowSeconds(w.long)).events / windowSeconds(w.long), slo.minimumEventRate));
  }
  verdicts.push(fillVerdict(scenario, t, w.long));
  return all(verdicts);
}

/** What the arithmetic says about the hard-failure page at time t. */
export function hardFailureVerdict(slo: Slo, scenario: Scenario, t: number): Verdict {
  const guard = windowSeconds(burnWindows[0].long);
  return all([
    above(ratio(scenario, t, hardFailureWindow), hardFailureRatio),
    above(windowTotals(scenario.phases, t, guard).events / guard, slo.minimumEventRate),
    fillVerdict(scenario, t, hardFailureWindow),
  ]);
}
