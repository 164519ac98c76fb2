/**
 * What the stack's own components use against the requests and limits this stack gives them.
 *
 * Nothing we deploy scrapes cAdvisor or kube-state-metrics: the kubelet job keeps only the two volume gauges
 * (`kubeletMetrics` in components/monitoring-core/prometheus-config.ts). Usage is therefore read from each
 * component's own process metrics (resident memory, CPU seconds) - the main process of the scraped container - and
 * the requests and limits are drawn from the stack configuration, per environment. Memcached's job scrapes its
 * exporter sidecar, whose process says nothing about memcached, so the caches have no row here.
 */
import type { Resources } from "../config/common";
import { parseQuantity } from "../components/k8s/quantity";
import { componentJobs, type ComponentKey } from "../rules/jobs";
import { datasourcesOf, environment, type DashboardInput } from "./input";
import { dashboard, type Dashboard, type RowSpec, type ThresholdStep } from "./model";
import { componentDialects, processMetrics } from "./telemetry";
import { componentTitles } from "./stack-health";

export const stackResourcesUid = "stack-resources";

/** Orange from the request, red from the limit (when there is one). */
function steps(request: string, limit: string | undefined): ThresholdStep[] {
  return [
    { color: "green", value: null },
    { color: "orange", value: parseQuantity(request) },
    ...(limit ? [{ color: "red", value: parseQuantity(limit) }] : []),
  ];
}

function componentRow(key: ComponentKey, resources: Resources): RowSpec | undefined {
  const dialect = componentDialects[key];
  if (!dialect) return undefined;
  const job = `job="${componentJobs[key]}"`;
  const m = processMetrics[dialect];
  const { requests, limits } = resources;
  return {
    title: componentTitles[key],
    height: 5,
    panels: [
      {
        type: "timeseries",
        title: `Memory per pod (request ${requests.memory}, limit ${limits.memory})`,
        unit: "bytes",
        min: 0,
        thresholds: steps(requests.memory, limits.memory),
        thresholdLines: true,
        queries: [{ expr: `max by (pod) (${m.rss}{${job}})`, legend: "{{pod}}" }],
      },
      {
        type: "timeseries",
        title: `CPU per pod (request ${requests.cpu}${limits.cpu ? `, limit ${limits.cpu}` : ", no limit"})`,
        unit: "none",
        min: 0,
        thresholds: steps(requests.cpu, limits.cpu),
        thresholdLines: true,
        queries: [{ expr: `sum by (pod) (rate(${m.cpu}{${job}}[$__rate_interval]))`, legend: "{{pod}}" }],
      },
    ],
  };
}

export function stackResources(input: DashboardInput): Dashboard {
  const keys = Object.keys(componentJobs) as ComponentKey[];
  const rows = keys.flatMap((key) => {
    const resources = input.resources[key];
    const row = resources ? componentRow(key, resources) : undefined;
    return row ? [row] : [];
  });
  return dashboard({
    uid: stackResourcesUid,
    title: "Observability stack resources",
    description:
      "Memory and CPU of each component's process against its container's requests (orange) and limits (red). " +
      "cAdvisor and kube-state-metrics are not scraped by this stack, so usage comes from the processes' own metrics.",
    tags: ["health", "resources"],
    datasources: datasourcesOf(input),
    variables: [environment(input.datasourceUids.prometheus)],
    rows,
  });
}
