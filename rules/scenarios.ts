/**
 * Alert-quality scenarios, generated from an SLO spec and the stack's scrape and evaluation intervals: traffic and
 * error profiles and what the alert policy requires of each. They stay beside the rules because the render's
 * detection fingerprint hashes them: `detection.md` is flagged out of date when the committed report was measured on
 * other scenarios. Turning them into promtool tests and measuring them is test code (`tests/support/scenarios/`).
 */
import { formatDuration } from "./promql";
import { burnFactor, burnWindows, errorBudget, windowSeconds, type BurnWindow, type Slo } from "./slo";
import { pageClearsWithin, sloAlertNames } from "./slo-rules";

/** A stretch of constant traffic: events per second and the share of them that fail the SLI. */
export interface Phase {
  seconds: number;
  eventRate: number;
  errorRatio: number;
}

/** How often Prometheus scrapes and evaluates rules, in seconds (the stack's `monitoring` settings). */
export interface Timing {
  scrapeInterval: number;
  evaluationInterval: number;
}

export type ScenarioKind = "outage" | "recovery" | "blip" | "intermittent" | "low-traffic" | "slow-burn";

/**
 * What the alert policy promises for a scenario. `prompt`: the first page comes within one evaluation interval of the
 * first failed scrape (the earliest moment the data can tell an outage from nothing), and every page clears within
 * `pageClearsWithin` of full recovery. `steady`: each page alert fires in one unbroken stretch (no flapping).
 */
export interface Requirement {
  page: "prompt" | "none" | "unasserted";
  steady: boolean;
  ticket: "open" | "none" | "unasserted";
}

/** Probed times: every `step` seconds from `from` to `to`. */
export interface ProbeSpan {
  from: number;
  to: number;
  step: number;
}

/** A traffic profile, its incident, how densely to probe it and what it must show. */
export interface Scenario {
  /** Unique per SLO, stable: it names the promtool test group and the row of the detection table. */
  name: string;
  kind: ScenarioKind;
  /** What happens, for the detection table. */
  description: string;
  /** Seconds of clean traffic before the incident, since the SLI's first sample. */
  history: number;
  /** Seconds between input samples (the scrape interval). */
  sampleInterval: number;
  /** Seconds between rule evaluations; scenarios sharing a test file share it. */
  evalInterval: number;
  phases: Phase[];
  incident: { start: number; end: number };
  /** Alert names the probes cover. */
  alertnames: string[];
  probes: ProbeSpan[];
  requires: Requirement;
  /** Why a requirement is left open, for the detection table. */
  note?: string;
}

const minute = 60;
const hour = 3600;

/** Traffic the scenarios run at: ten times the SLO's minimum, so only the low-traffic scenario falls under the guard. */
export function normalRate(slo: Slo): number {
  return slo.minimumEventRate * 10;
}

/** The blip the policy must never page on: 30 seconds of total failure. */
export const blipSeconds = 30;
/** Histories a short incident is tried after: before, just at and well after the 1h window fills (the issue's). */
export const coldStartHistories = [10 * minute, hour, 2 * hour] as const;
/** A total outage long enough that every page condition that can fire does. */
export const outageSeconds = 20 * minute;
/** Intermittent failure: 2 minutes failing, 3 fine, for 30 minutes. */
export const intermittent = { failing: 2 * minute, fine: 3 * minute, cycles: 6 } as const;
/** Burn factors of the slow burns: between the 1x and 3x tickets, and between the 3x ticket and the 6x page pair. */
export const slowBurnFactors = [2, 6] as const;

const longest = (kind?: BurnWindow["kind"]): number =>
  Math.max(...burnWindows.filter((w) => !kind || w.kind === kind).map((w) => windowSeconds(w.long)));

/** Probed stretch after an incident: long enough to see every page clear, with room to spare. */
const aftermath = pageClearsWithin + 25 * minute;

const allAlerts = [sloAlertNames.fastBurn, sloAlertNames.hardFailure, sloAlertNames.slowBurn];

/**
 * The scenarios of the issue for one SLO: a total outage after 10 min, 1 h and 2 h of history and, as `recovery`,
 * after every page window has filled; a 30 s blip after each of the short histories; intermittent failure; a total
 * outage below the minimum traffic; the 2x and 6x slow burns after every window has filled. Every alert is probed
 * at every evaluation.
 */
export function scenarios(slo: Slo, timing: Timing): Scenario[] {
  const rate = normalRate(slo);
  const { scrapeInterval: sampleInterval, evaluationInterval: evalInterval } = timing;
  const dense = (from: number, to: number): ProbeSpan => ({ from, to, step: evalInterval });
  const clean = (seconds: number, eventRate = rate): Phase => ({ seconds, eventRate, errorRatio: 0 });
  const failing = (seconds: number, eventRate = rate): Phase => ({ seconds, eventRate, errorRatio: 1 });
  const short = { sampleInterval, evalInterval, alertnames: allAlerts };
  const prompt: Requirement = { page: "prompt", steady: true, ticket: "unasserted" };
  const h = formatDuration;

  const outage = (name: string, kind: ScenarioKind, history: number): Scenario => ({
    ...short,
    name,
    kind,
    description: `total failure for ${h(outageSeconds)} after ${h(history)} of clean traffic, then recovery`,
    history,
    phases: [clean(history), failing(outageSeconds), clean(aftermath)],
    incident: { start: history, end: history + outageSeconds },
    probes: [dense(Math.max(0, history - minute), history + outageSeconds + aftermath)],
    requires: prompt,
  });

  const blip = (history: number): Scenario => ({
    ...short,
    name: `blip-${h(history)}`,
    kind: "blip",
    description: `${blipSeconds} s of total failure after ${h(history)} of clean traffic`,
    history,
    // After the blip every window's ratio only falls, and no long window fills to count before its short window
    // has emptied, so nothing that has not fired by the end of the probes ever will.
    phases: [clean(history), failing(blipSeconds), clean(aftermath)],
    incident: { start: history, end: history + blipSeconds },
    probes: [dense(Math.max(0, history - minute), history + blipSeconds + aftermath)],
    requires: { page: "none", steady: true, ticket: "none" },
  });

  const cycle = intermittent.failing + intermittent.fine;
  const intermittentHistory = 2 * hour;
  const fullPageHistory = longest("page");
  const quiet = slo.minimumEventRate / 2;
  const slowHistory = longest();

  // Days of history at the stack's intervals are too much for promtool (it refuses the 30d average over more than
  // 10,000 samples, and takes minutes): the slow burns sample every 2 minutes and evaluate every 5, which still
  // gives the 5m window two samples and the fill its lookback, and moves windows of hours and days by minutes.
  const slow = { sampleInterval: Math.max(sampleInterval, 2 * minute), evalInterval: Math.max(evalInterval, 5 * minute) };
  const slowBurn = (factor: number): Scenario => {
    // With every window full, a burn at `factor` trips a ticket window once its long window's ratio passes the
    // window's factor; the burn runs 6 hours past the earliest such moment.
    const trips = burnWindows.filter((w) => w.kind === "ticket" && burnFactor(w, slo.period) < factor)
      .map((w) => (windowSeconds(w.long) * burnFactor(w, slo.period)) / factor);
    if (trips.length === 0) throw new Error(`a ${factor}x burn trips no ticket of a ${slo.period} period`);
    const burn = Math.ceil((Math.min(...trips) + 6 * hour) / hour) * hour;
    const pageFactor = burnWindows.filter((w) => w.kind === "page").map((w) => burnFactor(w, slo.period)).filter((f) => f <= factor).sort((a, b) => b - a)[0];
    return {
      name: `slow-burn-${factor}x`,
      kind: "slow-burn",
      description: `errors at ${factor}x the budget rate for ${h(burn)} after ${h(slowHistory)} of clean traffic`,
      history: slowHistory,
      ...slow,
      alertnames: allAlerts,
      phases: [clean(slowHistory), { seconds: burn, eventRate: rate, errorRatio: factor * errorBudget(slo) }],
      incident: { start: slowHistory, end: slowHistory + burn },
      probes: [{ from: slowHistory - hour, to: slowHistory + burn, step: slow.evalInterval }],
      requires: { page: pageFactor === undefined ? "none" : "unasserted", steady: false, ticket: "open" },
      ...(pageFactor === factor
        ? { note: `a ${factor}x burn sits exactly on a page's threshold ("more than ${factor}x" over its windows), so whether it pages depends on the rounding of the computed ratio; only its ticket is required` }
        : pageFactor !== undefined
          ? { note: `a ${factor}x burn is above the ${pageFactor}x page threshold of a ${slo.period} period, so it pages by design; only its ticket is required` }
          : {}),
    };
  };

  return [
    ...coldStartHistories.map((history) => outage(`outage-${h(history)}`, "outage", history)),
    outage("recovery", "recovery", fullPageHistory),
    ...coldStartHistories.map(blip),
    {
      ...short,
      name: "intermittent",
      kind: "intermittent",
      description: `${intermittent.cycles} cycles of ${h(intermittent.failing)} of total failure and ${h(intermittent.fine)} fine after ${h(intermittentHistory)} of clean traffic`,
      history: intermittentHistory,
      phases: [
        clean(intermittentHistory),
        ...Array.from({ length: intermittent.cycles }, () => [failing(intermittent.failing), clean(intermittent.fine)]).flat(),
        clean(aftermath),
      ],
      // The incident ends with the last failure; the last fine stretch is already recovery.
      incident: { start: intermittentHistory, end: intermittentHistory + intermittent.cycles * cycle - intermittent.fine },
      probes: [dense(intermittentHistory - minute, intermittentHistory + intermittent.cycles * cycle + aftermath)],
      requires: prompt,
    },
    {
      ...short,
      name: "low-traffic",
      kind: "low-traffic",
      description: `total failure for ${h(outageSeconds)} at half the SLO's minimum traffic after ${h(fullPageHistory)} of clean traffic, then recovery`,
      history: fullPageHistory,
      phases: [clean(fullPageHistory, quiet), failing(outageSeconds, quiet), clean(aftermath, quiet)],
      incident: { start: fullPageHistory, end: fullPageHistory + outageSeconds },
      probes: [dense(fullPageHistory - minute, fullPageHistory + outageSeconds + aftermath)],
      requires: { page: "none", steady: true, ticket: "unasserted" },
    },
    ...slowBurnFactors.map(slowBurn),
  ];
}
