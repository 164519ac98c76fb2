import { metricContract, serviceKeys, type Slo } from "../rules";
import { recordNames } from "../rules/slo-rules";
import { burnFactor, burnWindows } from "../rules/slo";
import { datasourcesOf, environment, linkTo, listVariable, panelLinkTo, type DashboardInput } from "./input";
import { dashboard, type Dashboard, type PanelSpec, type RowSpec } from "./model";
import { budgetRemainingThresholds, serviceDashboardUid } from "./service-slo";

/** Stable uid of the overview. */
export const sloOverviewUid = "slo-overview";

const sel = (name: string, slo: Slo) => `${name}{service="${slo.service}",slo="${slo.name}"}`;

/** The burn rate at which the fastest page fires for this SLO; the burn-rate panel turns red there. */
function pageBurnFactor(slo: Slo): number {
  return burnFactor(burnWindows[0], slo.period);
}

function sloPanels(slo: Slo): PanelSpec[] {
  const links = [panelLinkTo(serviceDashboardUid(slo.service), `${metricContract[slo.service].displayName} SLO dashboard`)];
  return ([
    {
      type: "stat",
      title: `${slo.title}: objective`,
      span: 1,
      unit: "percentunit",
      decimals: 3,
      queries: [{ expr: sel(recordNames.objective, slo) }],
    },
    {
      type: "stat",
      title: `${slo.title}: error budget remaining (${slo.period})`,
      span: 1,
      unit: "percentunit",
      decimals: 1,
      thresholds: budgetRemainingThresholds,
      queries: [{ expr: sel(recordNames.budgetRemaining, slo) }],
    },
    {
      type: "timeseries",
      title: `${slo.title}: burn rate`,
      description: `1 spends the budget exactly over ${slo.period}; the fastest page fires above ${pageBurnFactor(slo)}.`,
      span: 2,
      min: 0,
      thresholds: [
        { color: "green", value: null },
        { color: "red", value: pageBurnFactor(slo) },
      ],
      queries: [{ expr: sel(recordNames.currentBurnRate, slo), legend: "burn rate" }],
    },
    {
      type: "timeseries",
      title: `${slo.title}: error ratio`,
      span: 2,
      unit: "percentunit",
      min: 0,
      queries: (["5m", "1h", "6h"] as const).map((w) => ({ expr: sel(recordNames.errorRatio(w), slo), legend: w })),
    },
  ] satisfies PanelSpec[]).map((p) => ({ ...p, links }));
}

/**
 * One row per service, one line of panels per SLO: objective, budget remaining, burn rate and error ratio over the
 * recorded windows, each panel linking to its service's dashboard. Every query reads a recording rule of rules/,
 * never the raw series; the last row lists the firing alerts of the services picked in `service`.
 */
export function sloOverview(all: readonly Slo[], input: DashboardInput): Dashboard {
  const rows: RowSpec[] = serviceKeys.flatMap((service) =>
    all
      .filter((slo) => slo.service === service)
      .map((slo) => ({ title: `${metricContract[service].displayName} (${metricContract[service].description}): ${slo.name}`, panels: sloPanels(slo) })),
  );
  const alerts: RowSpec = {
    title: "Active alerts",
    height: 8,
    panels: [{ type: "table", title: "Firing and pending alerts", queries: [{ expr: `ALERTS{service=~"$service"}` }] }],
  };
  return dashboard({
    uid: sloOverviewUid,
    title: "SLO overview",
    description: `Objectives, error budgets and burn rates of ${serviceKeys.map((s) => metricContract[s].displayName).join(", ")}.`,
    tags: ["slo"],
    rows: [...rows, alerts],
    datasources: datasourcesOf(input),
    variables: [environment(input.datasourceUids.prometheus), listVariable("service", "Service", serviceKeys)],
    links: serviceKeys.map((s) => linkTo(serviceDashboardUid(s), `${metricContract[s].displayName} SLOs`)),
  });
}
