import { perComponent, type ComponentKey, type stackComponents } from "../catalog/components";
import type { ServiceKey } from "./metrics";

export type { ComponentKey } from "../catalog/components";

type Components = typeof stackComponents;

/**
 * Prometheus scrape job names of the stack's own components, from the component registry: the prometheus.yml
 * builder names its scrape jobs with these and the health alerts select `up{job=...}` by them. In registry order,
 * which is the order of the scrape jobs, the ComponentDown alerts and the dashboard rows.
 */
export const componentJobs = perComponent((c) => c.job) as { readonly [K in ComponentKey]: Components[K]["job"] };

export type ComponentJob = (typeof componentJobs)[ComponentKey];

/**
 * The kubelet scrape job (node role, each kubelet's HTTPS port scraped directly with `nodes/metrics` permission,
 * never through the API server proxy), which exposes `kubelet_volume_stats_*`; the PVC-nearly-full alert reads it. It is not one of the stack's
 * components, so it has no component-down alert.
 */
export const kubeletJob = "kubelet";

/**
 * The scrape job of a service (one job per service, Kubernetes SD by label). The job name equals
 * the service key so that `job` and `service` read the same in queries.
 */
export function serviceJob(service: ServiceKey): string {
  return service;
}
