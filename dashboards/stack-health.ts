import { perComponent } from "../catalog/components";
import { componentJobs, type ComponentKey } from "../rules/jobs";
import { datasourcesOf, environment, type DashboardInput } from "./input";
import { dashboard, type Dashboard, type PanelSpec } from "./model";

/** Display name of each scraped component: its registry entry's title. */
export const componentTitles: Readonly<Record<ComponentKey, string>> = perComponent((c) => c.title);

/** Share of a component's targets that answer their scrape: 1 healthy, 0 down. */
function targetsUp(key: ComponentKey): PanelSpec {
  return {
    type: "stat",
    title: componentTitles[key],
    unit: "percentunit",
    min: 0,
    max: 1,
    thresholds: [
      { color: "red", value: null },
      { color: "orange", value: 0.5 },
      { color: "green", value: 1 },
    ],
    queries: [{ expr: `avg(up{job="${componentJobs[key]}"})` }],
  };
}

/** The observability stack's own health: is every component scraped, are rules, reloads and notifications working. */
export function stackHealth(input: DashboardInput): Dashboard {
  const keys = Object.keys(componentJobs) as ComponentKey[];
  const half = Math.ceil(keys.length / 2);
  const p = componentJobs.prometheus;
  const am = componentJobs.alertmanager;
  return dashboard({
    uid: "stack-health",
    title: "Observability stack health",
    description: "Targets up per component, Prometheus and Alertmanager internals.",
    tags: ["health"],
    datasources: datasourcesOf(input),
    variables: [environment(input.datasourceUids.prometheus)],
    rows: [
      { title: "Targets up", height: 4, panels: keys.slice(0, half).map(targetsUp) },
      { title: "Targets up (continued)", height: 4, panels: keys.slice(half).map(targetsUp) },
      {
        title: "Prometheus",
        panels: [
          { type: "timeseries", title: "Head series", queries: [{ expr: `prometheus_tsdb_head_series{job="${p}"}`, legend: "{{pod}}" }] },
          {
            type: "timeseries",
            title: "Rule evaluation failures /s",
            min: 0,
            queries: [{ expr: `sum by (pod) (rate(prometheus_rule_evaluation_failures_total{job="${p}"}[5m]))`, legend: "{{pod}}" }],
          },
          {
            type: "stat",
            title: "Last config reload successful",
            min: 0,
            max: 1,
            thresholds: [
              { color: "red", value: null },
              { color: "green", value: 1 },
            ],
            queries: [{ expr: `min(prometheus_config_last_reload_successful{job="${p}"})` }],
          },
        ],
      },
      {
        title: "Alertmanager",
        panels: [
          {
            type: "stat",
            title: "Cluster members",
            queries: [{ expr: `min(alertmanager_cluster_members{job="${am}"})` }],
          },
          {
            type: "timeseries",
            title: "Failed notifications /s",
            min: 0,
            queries: [{ expr: `sum by (integration) (rate(alertmanager_notifications_failed_total{job="${am}"}[5m]))`, legend: "{{integration}}" }],
          },
          {
            type: "timeseries",
            title: "Alerts received /s",
            min: 0,
            queries: [{ expr: `sum(rate(alertmanager_alerts_received_total{job="${am}"}[5m]))`, legend: "received" }],
          },
        ],
      },
    ],
  });
}
