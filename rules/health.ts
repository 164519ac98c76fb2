/**
 * Health alerts of the observability stack itself: a ComponentDown per component of the registry
 * (catalog/components.ts), the alerts each component owns there, collectors dropping data, volumes filling up, and
 * the always-firing Watchdog.
 */
import {
  perComponent, pipelinesGroup, stackComponents, type AlertFacts, type ComponentAlert, type Severity, type StackComponent,
} from "../catalog/components";
import { componentJobs, kubeletJob, type ComponentKey } from "./jobs";
import { quote } from "./promql";
import { componentDownFor, sloAlertNames } from "./slo-rules";
import type { AlertingRule, RuleGroup } from "./types";

/** The `service` label of every stack alert; Alertmanager routes it to the platform receivers. */
export const stackService = "observability";
/** The team that runs the stack. */
export const platformTeam = "platform";

/** The registry in order, each entry seen through the registry's entry type. */
const components = Object.entries(stackComponents) as [ComponentKey, StackComponent][];

/** Severity when a component has no healthy target: each registry entry's `down`, where its reason sits beside it. */
export const componentDownSeverity: Readonly<Record<ComponentKey, Severity>> = perComponent((c) => c.down.severity);

/**
 * Jobs that run telemetry pipelines on an OpenTelemetry Collector build (Jaeger v2 is one) and expose `otelcol_*`
 * metrics: the registry's collectors, our collector build's first, then Jaeger's.
 */
export const collectorJobs: readonly string[] = (["otelcol", "jaeger"] as const).flatMap((build) =>
  components.flatMap(([, c]) => (c.collector === build ? [c.job] : [])),
);

/** Input of the stack health rules. */
export interface HealthInput extends AlertFacts {
  /** Namespaces whose PVCs the volume alerts watch; all namespaces when absent. */
  namespaces?: readonly string[];
  /** Whether Prometheus scrapes the kubelets (default true); without that job the volume alerts are left out. */
  kubeletScraped?: boolean;
}

const jobRegex = (jobs: readonly string[]): string => quote(jobs.join("|"));
const withComponentFromJob = (expr: string): string => `label_replace(${expr}, "component", "$1", "job", "(.+)")`;

function alert(
  name: string, expr: string, forDuration: string | undefined, severity: string, extra: Record<string, string>,
  summary: string, description: string,
): AlertingRule {
  return {
    alert: name,
    expr,
    ...(forDuration ? { for: forDuration } : {}),
    labels: { severity, service: stackService, team: platformTeam, ...extra },
    annotations: { summary, description },
  };
}

/** One `ComponentDown` per component job, and a warning per unhealthy target. */
export function componentAlerts(): AlertingRule[] {
  const down = components.map(([key, { job }]) => {
    return alert(
      sloAlertNames.componentDown, `absent(up{job=${quote(job)}} == 1)`, componentDownFor, componentDownSeverity[key],
      { component: job },
      `${job} has no healthy scrape target`,
      `No target of job ${job} has answered a scrape for ${componentDownFor}; every alert about ${job}'s symptoms is inhibited while this fires.`,
    );
  });
  const targetDown = alert(
    "ComponentTargetDown",
    withComponentFromJob(`up{job=~${jobRegex(Object.values(componentJobs))}} == 0`),
    "10m", "warning", {},
    "{{ $labels.job }} target {{ $labels.instance }} is down",
    "One replica of {{ $labels.job }} has failed its scrapes for 10 minutes; the others still serve, with less headroom.",
  );
  return [...down, targetDown];
}

/** A component's own alert with the stack's routing labels. */
function owned(job: string, a: ComponentAlert): AlertingRule {
  return a.component === "job"
    ? alert(a.alert, a.expr, a.for, a.severity, { component: job }, a.summary, a.description)
    : alert(a.alert, withComponentFromJob(a.expr), a.for, a.severity, {}, a.summary, a.description);
}

/** Every collector losing telemetry, one alert per job. */
export function collectorDroppingData(): AlertingRule {
  // exporter_send_failed counts items an exporter gave up on (permanent error or retries exhausted). There is no
  // processor_dropped: processorhelper stopped emitting it in collector 0.110, and a processor that refuses data
  // (memory_limiter) shows up as receiver_refused upstream.
  const lost = `otelcol_(exporter_enqueue_failed|exporter_send_failed|receiver_refused)_(spans|log_records|metric_points)(_total)?`;
  return alert(
    "CollectorDroppingData",
    // Counter names gained a _total suffix when the collector moved to the OpenTelemetry Prometheus exporter.
    withComponentFromJob(`sum by (job) (rate({__name__=~${quote(lost)}, job=~${jobRegex(collectorJobs)}}[5m])) > 0`),
    "10m", "warning", {},
    "{{ $labels.job }} is dropping telemetry",
    "{{ $labels.job }} refuses data at its receivers, cannot queue it for export (queue full) or gave up exporting it (permanent error or retries exhausted): spans, logs or metrics are lost.",
  );
}

/**
 * The groups of the alerts components own, in the order their first owner has in the registry. Within a group, the
 * alerts of components that are not collectors come first, then the collector fleet's alert (in the pipelines group),
 * then the collectors' own: a store refusing data reads before the collector drops it causes.
 */
export function ownedAlertGroups(facts: AlertFacts): RuleGroup[] {
  const order = { component: 0, fleet: 1, collector: 2 };
  const parts = [
    ...components.flatMap(([, c]) => c.health
      ? [{ group: c.health.group, order: c.collector ? order.collector : order.component, rules: c.health.alerts(quote(c.job), facts).map((a) => owned(c.job, a)) }]
      : []),
    { group: pipelinesGroup, order: order.fleet, rules: [collectorDroppingData()] },
  ];
  return [...new Set(parts.map((p) => p.group))].map((name) => ({
    name,
    rules: parts.filter((p) => p.group === name).sort((a, b) => a.order - b.order).flatMap((p) => p.rules),
  }));
}

/** Persistent volumes nearly full. */
export function volumeAlerts(namespaces?: readonly string[]): AlertingRule[] {
  const scope = namespaces && namespaces.length > 0 ? `, namespace=~${jobRegex(namespaces)}` : "";
  const ratio = `kubelet_volume_stats_available_bytes{job=${quote(kubeletJob)}${scope}}\n/\nkubelet_volume_stats_capacity_bytes{job=${quote(kubeletJob)}${scope}}`;
  const rule = (severity: string, free: number): AlertingRule => alert(
    "PersistentVolumeFillingUp", `${ratio}\n< ${free}`, "15m", severity, {},
    "PVC {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is " + `more than ${100 - free * 100}% full`,
    `Less than ${free * 100}% of the volume is free; the workload fails its writes (WAL, TSDB blocks, chunks) when it fills.`,
  );
  // Without kubelet metrics both alerts above are blind (e.g. kubelet certificates that fail verification): say so.
  const blind = alert(
    "VolumeMetricsMissing", `absent(up{job=${quote(kubeletJob)}} == 1)`, "15m", "warning", {},
    "No kubelet is being scraped: volume usage is unknown",
    "Prometheus scrapes no kubelet successfully, so PersistentVolumeFillingUp cannot fire. Check up{job=\"kubelet\"}: node CIDRs in monitoring.kubelet.nodeCidrs, RBAC nodes/metrics, kubelet serving certificates.",
  );
  return [rule("warning", 0.1), rule("critical", 0.03), blind];
}

/**
 * Always firing: proves the whole alerting path works. It is routed to the `blackhole` receiver; an external dead
 * man's switch polls Alertmanager for it.
 */
export function watchdogAlert(): AlertingRule {
  return alert(
    "Watchdog", "vector(1)", undefined, "none", {},
    "Alerting pipeline heartbeat",
    "Always firing. If it is missing from Alertmanager, Prometheus cannot evaluate rules or reach Alertmanager.",
  );
}

/** The rule groups of `stack-health.yml`. */
export function stackHealthGroups(input: HealthInput): RuleGroup[] {
  return [
    { name: "stack-components", rules: componentAlerts() },
    ...ownedAlertGroups(input),
    ...(input.kubeletScraped === false ? [] : [{ name: "stack-volumes", rules: volumeAlerts(input.namespaces) }]),
    { name: "stack-watchdog", rules: [watchdogAlert()] },
  ];
}
