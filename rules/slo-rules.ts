/**
 * Recording and alerting rules of one SLO: error ratios per window computed once, budget bookkeeping, the
 * workbook's multiwindow burn-rate alerts with a minimum-traffic guard, a hard-failure page and absent-SLI alerts.
 */
import { serviceJob } from "./jobs";
import { metricContract } from "./metrics";
import { absentLabels, errorRatioExpr, eventRateExpr, presenceSelectors, recorded, renderSelector, sloLabels } from "./promql";
import {
  burnFactor, burnWindows, errorBudget, hardFailureRatio, sliWindows, tidy,
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
  const conditions = [
    `${recorded(recordNames.errorRatio(window.long), slo)} > ${threshold}`,
    `${recorded(recordNames.errorRatio(window.short), slo)} > ${threshold}`,
  ];
  if (window.kind === "page") {
    conditions.push(`${recorded(recordNames.eventRate(window.long), slo)} > ${slo.minimumEventRate}`);
  }
  const ratio = percent(tidy(factor * errorBudget(slo)));
  return {
    alert: window.kind === "page" ? sloAlertNames.fastBurn : sloAlertNames.slowBurn,
    expr: conditions.join("\nand\n"),
    labels: { ...slo.routing[window.kind], ...baseLabels(slo), long_window: window.long, short_window: window.short },
    annotations: {
      summary: `${title(slo)}: error budget burning at ${factor}x over ${window.long}`,
      description:
        `More than ${ratio} of ${slo.service} events failed the ${slo.name} SLI over both the last ${window.long} and ${window.short}; ` +
        `at this rate ${percent(window.budgetConsumed)} of the ${slo.period} error budget is gone within ${window.long}. ${slo.description}`,
      runbook_url: slo.runbookUrl,
    },
  };
}

/** Pages when a fifth of events fail over 5 minutes, whatever the objective (see `hardFailureRatio`). */
export function hardFailureAlert(slo: Slo): AlertingRule {
  const guardWindow = burnWindows[0].long;
  return {
    alert: sloAlertNames.hardFailure,
    expr: [
      `${recorded(recordNames.errorRatio("5m"), slo)} > ${hardFailureRatio}`,
      `${recorded(recordNames.eventRate(guardWindow), slo)} > ${slo.minimumEventRate}`,
    ].join("\nand\n"),
    labels: { ...slo.routing.page, ...baseLabels(slo) },
    annotations: {
      summary: `${title(slo)}: more than ${percent(hardFailureRatio)} of events failing`,
      description: `More than ${percent(hardFailureRatio)} of ${slo.service} events failed the ${slo.name} SLI over the last 5m: a hard failure, paged before the burn-rate windows fill. ${slo.description}`,
      runbook_url: slo.runbookUrl,
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
      runbook_url: slo.runbookUrl,
    },
  }));
}

/** Every alert of one SLO. */
export function sloAlertRules(slo: Slo): AlertingRule[] {
  return [...burnWindows.map((w) => burnRateAlert(slo, w)), hardFailureAlert(slo), ...absentAlerts(slo)];
}

/** The scrape-health alert of a service: no target of its job answered for `componentDownFor`. */
export function serviceDownAlert(service: Slo["service"], runbookUrl: string): AlertingRule {
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
      runbook_url: runbookUrl,
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
