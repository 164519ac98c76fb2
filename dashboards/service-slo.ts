/**
 * One SLO dashboard per service, derived from the SLO specs (rules/slos.ts) and the metric contract: for each SLO the
 * SLI now and over its period, the error budget and its burn-down, and the burn rate of every alert window against
 * the threshold the alert uses; then the latency (or other bucketed SLI) distribution against its target, traffic
 * and errors by route or operation, the spans' own RED metrics, and the service's active alerts.
 */
import { metricContract, type ServiceKey } from "../rules/metrics";
import { serviceJob } from "../rules/jobs";
import { recorded, renderSelector, sliSelectors } from "../rules/promql";
import { burnFactor, burnWindows, type BurnWindow, type Matcher, type SliWindow, type Slo } from "../rules/slo";
import { recordNames } from "../rules/slo-rules";
import {
  constantVariable, datasourcesOf, environment, linkTo, linksTagged, listVariable, serviceDashboardTag, type DashboardInput,
} from "./input";
import { dashboard, type Dashboard, type PanelSpec, type RowSpec, type ThresholdStep } from "./model";
import { spanMetrics } from "./telemetry";

/** Error budget remaining: red when spent, orange under a quarter, green from half. */
export const budgetRemainingThresholds: ThresholdStep[] = [
  { color: "red", value: null },
  { color: "orange", value: 0.25 },
  { color: "green", value: 0.5 },
];

/** Stable uid of a service's SLO dashboard. */
export function serviceDashboardUid(service: ServiceKey): string {
  return `slo-${service}`;
}

const percent = (ratio: number): string => `${Number((ratio * 100).toPrecision(6))}%`;

/** Red below the objective, green at or above it. */
const objectiveSteps = (slo: Slo): ThresholdStep[] => [
  { color: "red", value: null },
  { color: "green", value: slo.objective },
];

/** Burn rate of a window: its recorded error ratio over the budget the rules record. */
const burnRate = (slo: Slo, window: SliWindow): string =>
  `${recorded(recordNames.errorRatio(window), slo)} / on (service, slo) ${recorded(recordNames.errorBudget, slo)}`;

function burnPanel(slo: Slo, window: BurnWindow): PanelSpec {
  const factor = burnFactor(window, slo.period);
  return {
    type: "timeseries",
    title: `Burn rate ${window.long}/${window.short} (${window.kind} above ${factor}x)`,
    description:
      `The ${window.kind} fires when both windows burn above ${factor}x, i.e. ${percent(window.budgetConsumed)} of the ` +
      `${slo.period} budget spent within ${window.long} (the same factor the alert rule uses).`,
    min: 0,
    thresholds: [
      { color: "green", value: null },
      { color: window.kind === "page" ? "red" : "orange", value: factor },
    ],
    thresholdLines: true,
    queries: [window.long, window.short].map((w) => ({ expr: burnRate(slo, w), legend: w })),
  };
}

function sloRows(slo: Slo): RowSpec[] {
  const sel = (name: string) => recorded(name, slo);
  return [
    {
      title: `${slo.title}: ${percent(slo.objective)} over ${slo.period}`,
      height: 5,
      panels: [
        { type: "stat", title: "SLI now (5m)", unit: "percentunit", decimals: 3, thresholds: objectiveSteps(slo), queries: [{ expr: `1 - ${sel(recordNames.errorRatio("5m"))}` }] },
        {
          type: "stat",
          title: `SLI over ${slo.period}`,
          unit: "percentunit",
          decimals: 3,
          thresholds: objectiveSteps(slo),
          queries: [{ expr: `1 - ${sel(recordNames.errorRatio(slo.period))}` }],
        },
        { type: "stat", title: "Objective", unit: "percentunit", decimals: 3, queries: [{ expr: sel(recordNames.objective) }] },
        {
          type: "stat",
          title: "Error budget remaining",
          unit: "percentunit",
          decimals: 1,
          thresholds: budgetRemainingThresholds,
          queries: [{ expr: sel(recordNames.budgetRemaining) }],
        },
        {
          type: "timeseries",
          title: `Error budget burn-down (${slo.period})`,
          description: slo.description,
          span: 2,
          unit: "percentunit",
          max: 1,
          thresholds: [
            { color: "red", value: null },
            { color: "green", value: 0 },
          ],
          thresholdLines: true,
          timeFrom: slo.period,
          queries: [{ expr: sel(recordNames.budgetRemaining), legend: "budget remaining" }],
        },
      ],
    },
    { title: `${slo.title}: burn rate per alert window`, panels: burnWindows.map((w) => burnPanel(slo, w)) },
  ];
}

/** An SLO that judges a histogram against one bucket boundary: latency SLIs, and ratio SLIs that count one bucket. */
interface BucketTarget {
  slo: Slo;
  histogram: string;
  unit: "seconds" | "ratio";
  target: number;
  matchers: Matcher[];
}

function bucketTarget(slo: Slo): BucketTarget | undefined {
  const { sli } = slo;
  const base = sli.kind === "latency" ? sli.histogram : sli.errors.metric.replace(/_bucket$/, "");
  const metric = Object.values(metricContract[slo.service].metrics).find((m) => m.kind === "histogram" && m.name === base);
  if (!metric || metric.kind !== "histogram") return undefined;
  if (sli.kind === "latency") return { slo, histogram: base, unit: metric.unit, target: Number(sli.le), matchers: sli.matchers };
  const le = sli.errors.matchers.find((m) => m.label === "le");
  if (!le) return undefined;
  return { slo, histogram: base, unit: metric.unit, target: Number(le.value), matchers: sli.errors.matchers.filter((m) => m.label !== "le") };
}

function distributionPanels(t: BucketTarget): PanelSpec[] {
  const job = { label: "job", op: "=" as const, value: serviceJob(t.slo.service) };
  const buckets = renderSelector(`${t.histogram}_bucket`, [job, ...t.matchers]);
  const unit = t.unit === "seconds" ? "s" : "none";
  const quantile = (q: number) => ({ expr: `histogram_quantile(${q}, sum by (le) (rate(${buckets}[$__rate_interval])))`, legend: `p${q * 100}` });
  const within = sliSelectors(t.slo).good;
  return [
    {
      type: "timeseries",
      title: `${t.slo.title}: quantiles against the ${t.target}${t.unit === "seconds" ? " s" : ""} target`,
      description: t.slo.description,
      span: 2,
      unit,
      min: 0,
      thresholds: t.unit === "seconds"
        ? [{ color: "green", value: null }, { color: "red", value: t.target }]
        : [{ color: "red", value: null }, { color: "green", value: t.target }],
      thresholdLines: true,
      queries: [quantile(0.5), quantile(0.9), quantile(0.99)],
    },
    {
      type: "heatmap",
      title: `${t.slo.title}: distribution`,
      span: 2,
      unit,
      queries: [{ expr: `sum by (le) (rate(${buckets}[$__rate_interval]))`, legend: "{{le}}" }],
    },
    ...(within
      ? [{
          type: "stat" as const,
          title: `Within ${t.target} s now`,
          unit: "percentunit",
          decimals: 2,
          thresholds: objectiveSteps(t.slo),
          queries: [{
            expr: `sum(rate(${renderSelector(within.metric, within.matchers)}[$__rate_interval])) / sum(rate(${renderSelector(sliSelectors(t.slo).total.metric, sliSelectors(t.slo).total.matchers)}[$__rate_interval]))`,
          }],
        }]
      : []),
  ];
}

/**
 * The label traffic is split by: one that tells routes or operations apart (a counter's labels minus those its SLOs
 * judge outcomes by); failing that, the outcome label itself (traffic by status code); a counter without labels is
 * drawn as one total.
 */
function dimensionOf(labels: readonly string[], judged: readonly string[]): string | undefined {
  return labels.find((l) => !judged.includes(l)) ?? labels[0];
}

function trafficRows(service: ServiceKey, all: readonly Slo[]): RowSpec[] {
  const rows: RowSpec[] = [];
  for (const metric of Object.values(metricContract[service].metrics)) {
    if (metric.kind !== "counter") continue;
    const ratioSlo = all.find((s) => s.sli.kind === "ratio" && s.sli.total.metric === metric.name);
    const selectors = ratioSlo ? sliSelectors(ratioSlo) : undefined;
    const judged = ratioSlo && ratioSlo.sli.kind === "ratio" ? ratioSlo.sli.errors.matchers.map((m) => m.label) : [];
    const dim = dimensionOf(Object.keys(metric.labels), judged);
    const by = dim ? ` by ${dim}` : "";
    const legend = dim ? `{{${dim}}}` : "all";
    const total = selectors?.total ?? { metric: metric.name, matchers: [{ label: "job", op: "=" as const, value: serviceJob(service) }] };
    const rate = (s: { metric: string; matchers: Matcher[] }) => `sum${dim ? ` by (${dim}) ` : ""}(rate(${renderSelector(s.metric, s.matchers)}[$__rate_interval]))`;
    const panels: PanelSpec[] = [{ type: "timeseries", title: `${metric.name}${by} /s`, description: metric.help, min: 0, queries: [{ expr: rate(total), legend }] }];
    if (selectors?.errors) {
      panels.push(
        { type: "timeseries", title: `Errors${by} /s (${ratioSlo?.name} SLI)`, min: 0, queries: [{ expr: rate(selectors.errors), legend }] },
        {
          type: "timeseries",
          title: `Error ratio${by}`,
          unit: "percentunit",
          min: 0,
          queries: [{ expr: `(${rate(selectors.errors)}) / (${rate(total)})`, legend }],
        },
      );
    }
    rows.push({ title: `Traffic and errors: ${metric.name}`, panels });
  }
  return rows;
}

/** RED metrics the gateways compute from every span (before sampling), per operation. */
function spanRows(): RowSpec[] {
  const { labels } = spanMetrics;
  const svc = `${labels.service}=~"$span_service",${labels.kind}="${spanMetrics.serverKind}"`;
  const calls = (extra = "") => `sum by (${labels.span}) (rate(${spanMetrics.calls}{${svc}${extra}}[$__rate_interval]))`;
  return [{
    title: "Operations from spans (spanmetrics, before sampling)",
    panels: [
      { type: "timeseries", title: "Requests by operation /s", min: 0, queries: [{ expr: calls(), legend: `{{${labels.span}}}` }] },
      {
        type: "timeseries",
        title: "Errors by operation /s",
        min: 0,
        queries: [{ expr: calls(`,${labels.status}="${spanMetrics.errorStatus}"`), legend: `{{${labels.span}}}` }],
      },
      {
        type: "timeseries",
        title: "p99 duration by operation",
        unit: "ms",
        min: 0,
        queries: [{
          expr: `histogram_quantile(0.99, sum by (le, ${labels.span}) (rate(${spanMetrics.durationBucket}{${svc}}[$__rate_interval])))`,
          legend: `{{${labels.span}}}`,
        }],
      },
    ],
  }];
}

function alertRows(): RowSpec[] {
  return [{
    title: "Active alerts",
    height: 7,
    panels: [
      { type: "stat", title: "Firing", span: 1, thresholds: [{ color: "green", value: null }, { color: "red", value: 1 }], queries: [{ expr: `count(ALERTS{service="$service",alertstate="firing"}) or vector(0)` }] },
      { type: "table", title: "Alerts of this service", span: 5, queries: [{ expr: `ALERTS{service="$service"}` }] },
    ],
  }];
}

/** The SLO dashboard of one service. */
export function serviceSloDashboard(service: ServiceKey, all: readonly Slo[], input: DashboardInput, overviewUid: string): Dashboard {
  const contract = metricContract[service];
  const slos = all.filter((s) => s.service === service);
  const targets = slos.map(bucketTarget).filter((t): t is BucketTarget => t !== undefined);
  return dashboard({
    uid: serviceDashboardUid(service),
    title: `SLO: ${contract.displayName} (${contract.description})`,
    description: `${slos.map((s) => `${s.title} ${percent(s.objective)}`).join(", ")}. Owned by team ${contract.owner}.`,
    tags: ["slo", serviceDashboardTag, service],
    datasources: datasourcesOf(input),
    variables: [
      environment(input.datasourceUids.prometheus),
      constantVariable("service", service),
      listVariable("span_service", "service.name", input.spanServiceNames[service]),
    ],
    links: [linkTo(overviewUid, "SLO overview"), linksTagged(serviceDashboardTag, "Other services")],
    rows: [
      ...slos.flatMap(sloRows),
      ...(targets.length > 0 ? [{ title: "Distribution against target", height: 7, panels: targets.flatMap(distributionPanels) }] : []),
      ...trafficRows(service, all),
      ...spanRows(),
      ...alertRows(),
    ],
  });
}
