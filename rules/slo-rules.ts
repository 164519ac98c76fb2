/**
 * Recording and alerting rules of one SLO: error ratios per window computed once, budget bookkeeping, the
 * workbook's multiwindow burn-rate alerts with a minimum-traffic guard and a window-fill guard, a hard-failure page
 * and absent-SLI alerts.
 */
import { serviceJob } from "./jobs";
import { metricContract } from "./metrics";
import {
  absentLabels, errorRatioExpr, eventRateExpr, formatDuration, presenceSelectors, recorded, renderSelector, sloLabels,
} from "./promql";
import {
  burnFactor, burnWindows, errorBudget, hardFailureRatio, hardFailureWindow, sliWindows, tidy, windowSeconds,
  type BurnWindow, type SliWindow, type Slo,
} from "./slo";
import type { AlertingRule, RecordingRule, RuleGroup } from "./types";

/** Names of the recorded series (sloth/pyrra style: level:metric:operations). */
export const recordNames = {
  errorRatio: (window: SliWindow | "30d" | "28d"): string => `slo:sli_error:ratio_rate${window}`,
  eventRate: (window: SliWindow): string => `slo:sli_events:rate${window}`,
  objective: "slo:objective:ratio",
  errorBudget: "slo:error_budget:ratio",
  budgetRemaining: "slo:error_budget_remaining:ratio",
  currentBurnRate: "slo:current_burn_rate:ratio",
  windowFill: (window: SliWindow): string => `slo:sli_window_fill:ratio${window}`,
} as const;

/**
 * Alert names of SLO alerts. Fast burn (1h/5m, 6h/30m) pages and slow burn (1d/2h, 3d/6h) opens tickets, as the
 * workbook calls them; distinct names keep a page and a ticket of the same SLO in separate notification groups.
 */
export const sloAlertNames = {
  fastBurn: "SLOFastBurn",
  slowBurn: "SLOSlowBurn",
  hardFailure: "SLOHardFailure",
  absent: "SLIMetricAbsent",
  componentDown: "ComponentDown",
} as const;

/** Windows whose event rate is recorded: the long windows of the paging conditions, which the guard reads. */
export const guardWindows: readonly SliWindow[] = [...new Set(burnWindows.filter((w) => w.kind === "page").map((w) => w.long))];

/**
 * The window-fill guard: an alert condition counts only once SLI data covers this share of its longest window.
 * Prometheus takes a ratio over whatever part of a window it holds, so in a window filled to a share f a burst
 * weighs 1/f times what it weighs in a full one: with 10 minutes of samples a 30 s blip is 5% of the "1h" ratio
 * and trips the 1h/5m page of a 99.9% SLO (1.44%), and with 2 hours it is 0.4% of the "1d" ratio and opens the 3x
 * ticket (0.3%). The window is filled to 3/4 before it counts because that is the smallest round share at which a
 * 30 s total blip stays below every condition of every SLO here, with room for scrape alignment (30 s / (3/4 W)
 * against the threshold): hard failure 5m 13.3% < 15%; 1h 1.11% < 1.34% (99.9% at 13.44x, a 28d period) or 1.44%;
 * 6h 0.19% < 0.6%; 1d 0.05% < 0.3%; 3d 0.02% < 0.1%. A reading over 3/4 of a window overstates the full-window
 * burn rate by at most a third. The price is blindness while the windows fill: after data starts (a new service, a
 * wiped Prometheus, a new SLO's first recording) the hard-failure page counts after about 4 minutes, the 1h/5m page
 * after 45 minutes, the 6h/30m page after 4h30m and the tickets after 18h and 54h; until the 1h pair counts, only
 * a hard failure (more than 15% failing) pages. A restarted Prometheus that keeps its data loses only its downtime.
 * A lower share would shorten the blindness but let a 30 s blip through the 1h/5m page of a 99.9% SLO below 0.62;
 * a higher one only lengthens it.
 */
export const minimumWindowFill = 0.75;

/**
 * Steps per window at which the fill is measured: `count_over_time` of the 5m error-ratio series over a subquery of
 * 60 steps, so it reads in sixtieths of the window and costs 60 lookups of one series whatever the window. The 5m
 * ratio exists exactly while the SLI saw events (it records nothing over a window without any), from one series
 * per SLO however often pods come and go, and it is what every burn rate is read from. A step sees it through
 * Prometheus's 5-minute lookback, so rules must be evaluated more often than that (every 30 s here).
 */
export const windowFillSteps = 60;

/** Windows whose fill is recorded: the hard-failure window and every long window. */
export const fillWindows: readonly SliWindow[] = [...new Set([hardFailureWindow, ...burnWindows.map((w) => w.long)])];

/**
 * The "still burning" window of pages: a page condition whose short window is longer also requires the error ratio
 * over this window above the same threshold, so the 6h/30m page stops holding 4m30s after the last failed scrape
 * instead of when its 30m window has emptied (29m30s). The 30m window stays: it still asks that the burn held for
 * half an hour, not only for the last 5 minutes of a 6h window that an earlier incident keeps hot. See
 * `pageKeepFiringFor` for the measured trade-off.
 */
export const stillBurningWindow: SliWindow = "5m";

/** What the policy promises after full recovery: every page has cleared within 10 minutes. */
export const pageClearsWithin = 10 * 60;

/**
 * `keep_firing_for` of every page: how long it keeps firing after its condition stops holding, so an intermittent
 * failure whose clean stretches empty the 5m window does not resolve and re-page the incident. A page cannot tell a
 * clean stretch from recovery, so whatever it bridges it adds to the time it takes to clear: 4 minutes is what the
 * 10-minute promise leaves after the 5m window empties (4m30s after the last failed scrape at 30 s scrapes), with
 * a minute to spare for scrapes and evaluations out of phase. Measured with promtool 3.5.0 at 30 s / 30 s on
 * ryot/availability (99.9%) and ryot/time-to-first-token (99%), pages clear after recovery from a 20-minute total
 * outage, and intermittent total failure (minutes failing / fine, after 2h) pages steadily or flaps:
 *
 *   construction                     clears       2/3     2/5     2/6     2/8     1/9
 *   6h/30m as in the workbook        29m30s / 4m  steady  flaps   flaps   flaps   flaps
 *   + 5m still burning               4m30s / 4m   steady  flaps   flaps   flaps   flaps
 *   + keep_firing_for 3m             7m30s / 7m   steady  steady  steady  flaps   flaps
 *   + keep_firing_for 4m (chosen)    8m30s / 8m   steady  steady  steady  flaps   flaps
 *   + keep_firing_for 5m             9m30s / 9m   steady  steady  steady  steady  flaps
 *   keep_firing_for 5m, no 5m        34m30s / 9m  steady  steady  steady  steady  flaps
 *
 * (the 99% SLO clears sooner because its 6h/30m page never fires on a 20-minute outage). 5 minutes would also bridge
 * 8-minute gaps but leaves 30 s of the promise when scrapes and evaluations line up and breaks it when they do not;
 * longer gaps flap under any setting that keeps the promise. Tickets have none: a reopened ticket wakes nobody.
 */
export const pageKeepFiringFor = "4m";

/** How long an SLI series may be missing before `SLIMetricAbsent` fires: two deploys' worth, not a scrape blip. */
export const absentFor = "10m";
/** How long a service or component must have no healthy target before `ComponentDown` fires. */
export const componentDownFor = "5m";

const percent = (ratio: number): string => `${tidy(ratio * 100)}%`;

/** Recording rules of one SLO, in dependency order. */
export function sloRecordingRules(slo: Slo): RecordingRule[] {
  const labels = sloLabels(slo);
  const budget = errorBudget(slo);
  return [
    ...sliWindows.map((window) => ({ record: recordNames.errorRatio(window), expr: errorRatioExpr(slo, window), labels })),
    ...guardWindows.map((window) => ({ record: recordNames.eventRate(window), expr: eventRateExpr(slo, window), labels })),
    ...fillWindows.map((window) => ({ record: recordNames.windowFill(window), expr: windowFillExpr(slo, window), labels })),
    {
      // Averaging the 5m series costs one sample per evaluation instead of re-reading a period of raw counters.
      record: recordNames.errorRatio(slo.period),
      expr: `avg_over_time(${recorded(recordNames.errorRatio("5m"), slo)}[${slo.period}])`,
      labels,
    },
    { record: recordNames.objective, expr: `vector(${slo.objective})`, labels },
    { record: recordNames.errorBudget, expr: `vector(${budget})`, labels },
    {
      record: recordNames.budgetRemaining,
      expr: `1 - (${recorded(recordNames.errorRatio(slo.period), slo)} / ${budget})`,
      labels,
    },
    { record: recordNames.currentBurnRate, expr: `${recorded(recordNames.errorRatio("5m"), slo)} / ${budget}`, labels },
  ];
}

/** Share of `window` in which the SLI saw events, in steps of 1/{@link windowFillSteps} (see `minimumWindowFill`). */
export function windowFillExpr(slo: Slo, window: SliWindow): string {
  const step = formatDuration(windowSeconds(window) / windowFillSteps);
  return `count_over_time(${recorded(recordNames.errorRatio("5m"), slo)}[${window}:${step}]) / ${windowFillSteps}`;
}

/** The fill-guard condition of a condition whose longest window is `window`. */
function filled(slo: Slo, window: SliWindow): string {
  return `${recorded(recordNames.windowFill(window), slo)} >= ${minimumWindowFill}`;
}

/** Labels every alert of an SLO carries besides its severity labels. */
function baseLabels(slo: Slo): Record<string, string> {
  return { ...sloLabels(slo), team: slo.team };
}

function title(slo: Slo): string {
  return `${slo.title} (${percent(slo.objective)} over ${slo.period})`;
}

/** The burn-rate alert of one window pair. */
export function burnRateAlert(slo: Slo, window: BurnWindow): AlertingRule {
  const factor = burnFactor(window, slo.period);
  const threshold = `(${factor} * ${errorBudget(slo)})`;
  const still = window.kind === "page" && windowSeconds(window.short) > windowSeconds(stillBurningWindow) ? stillBurningWindow : undefined;
  const ratios = [window.long, window.short, ...(still ? [still] : [])];
  const conditions = ratios.map((w) => `${recorded(recordNames.errorRatio(w), slo)} > ${threshold}`);
  if (window.kind === "page") {
    conditions.push(`${recorded(recordNames.eventRate(window.long), slo)} > ${slo.minimumEventRate}`);
  }
  conditions.push(filled(slo, window.long));
  const ratio = percent(tidy(factor * errorBudget(slo)));
  const over = still ? `the last ${window.long} and ${window.short}, and still over the last ${still}` : `both the last ${window.long} and ${window.short}`;
  return {
    alert: window.kind === "page" ? sloAlertNames.fastBurn : sloAlertNames.slowBurn,
    expr: conditions.join("\nand\n"),
    ...(window.kind === "page" ? { keep_firing_for: pageKeepFiringFor } : {}),
    labels: { ...slo.routing[window.kind], ...baseLabels(slo), long_window: window.long, short_window: window.short },
    annotations: {
      summary: `${title(slo)}: error budget burning at ${factor}x over ${window.long}`,
      description:
        `More than ${ratio} of ${slo.service} events failed the ${slo.name} SLI over ${over}; ` +
        `at this rate ${percent(window.budgetConsumed)} of the ${slo.period} error budget is gone within ${window.long}. ${slo.description}`,
    },
  };
}

/** Pages when a fifth of events fail over 5 minutes, whatever the objective (see `hardFailureRatio`). */
export function hardFailureAlert(slo: Slo): AlertingRule {
  const guardWindow = burnWindows[0].long;
  return {
    alert: sloAlertNames.hardFailure,
    expr: [
      `${recorded(recordNames.errorRatio(hardFailureWindow), slo)} > ${hardFailureRatio}`,
      `${recorded(recordNames.eventRate(guardWindow), slo)} > ${slo.minimumEventRate}`,
      filled(slo, hardFailureWindow),
    ].join("\nand\n"),
    keep_firing_for: pageKeepFiringFor,
    labels: { ...slo.routing.page, ...baseLabels(slo) },
    annotations: {
      summary: `${title(slo)}: more than ${percent(hardFailureRatio)} of events failing`,
      description: `More than ${percent(hardFailureRatio)} of ${slo.service} events failed the ${slo.name} SLI over the last ${hardFailureWindow}: a hard failure, paged before the burn-rate windows fill. ${slo.description}`,
    },
  };
}

/** One absent alert per series the SLI cannot do without. */
export function absentAlerts(slo: Slo): AlertingRule[] {
  return presenceSelectors(slo).map((selector) => ({
    alert: sloAlertNames.absent,
    expr: `absent(${renderSelector(selector.metric, selector.matchers)})`,
    for: absentFor,
    labels: { ...slo.routing.ticket, ...absentLabels(selector), ...baseLabels(slo), component: serviceJob(slo.service), metric: selector.metric },
    annotations: {
      summary: `${title(slo)}: SLI series ${selector.metric} is missing`,
      description: `No series matches ${renderSelector(selector.metric, selector.matchers)} for ${absentFor}, so the ${slo.name} SLO cannot be evaluated and none of its burn-rate alerts can fire. The service stopped exposing it, or renamed it or its buckets (see the metric contract).`,
    },
  }));
}

/** Every alert of one SLO. */
export function sloAlertRules(slo: Slo): AlertingRule[] {
  return [...burnWindows.map((w) => burnRateAlert(slo, w)), hardFailureAlert(slo), ...absentAlerts(slo)];
}

/** The scrape-health alert of a service: no target of its job answered for `componentDownFor`. */
export function serviceDownAlert(service: Slo["service"]): AlertingRule {
  const job = serviceJob(service);
  const contract = metricContract[service];
  return {
    alert: sloAlertNames.componentDown,
    expr: `absent(up{job=${JSON.stringify(job)}} == 1)`,
    for: componentDownFor,
    labels: { severity: "critical", service, team: contract.owner, component: job },
    annotations: {
      summary: `${contract.displayName} (${contract.description}) has no healthy scrape target`,
      description: `No target of job ${job} has answered a scrape for ${componentDownFor}: the service is down or unreachable, and its SLIs cannot be measured.`,
    },
  };
}

/** Rule groups of one SLO: recordings first, then alerts reading them. */
export function sloRuleGroups(slo: Slo): RuleGroup[] {
  const id = `${slo.service}-${slo.name}`;
  return [
    { name: `slo-${id}-recordings`, rules: sloRecordingRules(slo) },
    { name: `slo-${id}-alerts`, rules: sloAlertRules(slo) },
  ];
}
