/**
 * The slice of the stack configuration dashboards read, and the template variables and links they share.
 */
import type { StackConfig } from "../config";
import type { Resources } from "../config/common";
import { perComponent } from "../catalog/components";
import type { ComponentKey } from "../rules/jobs";
import { serviceKeys, type ServiceKey } from "../rules/metrics";
import type { DashboardLink, Datasources, Variable } from "./model";

/** What the dashboards need of a stack: datasource uids, requests and limits, and the `service.name`s of each service. */
export interface DashboardInput {
  readonly datasourceUids: { readonly prometheus: string; readonly loki: string };
  /** Requests and limits of the container each component job scrapes; undefined where the job scrapes a sidecar. */
  readonly resources: Readonly<Record<ComponentKey, Resources | undefined>>;
  /** The `service.name` values each service's spans carry (the sampling policies match the same ones). */
  readonly spanServiceNames: Readonly<Record<ServiceKey, readonly string[]>>;
  /** Namespace of each tier: the stack's own logs are selected by it in Loki. */
  readonly namespaces: StackConfig["namespaces"];
}

/** Narrows a validated stack configuration to {@link DashboardInput}. */
export function dashboardInput(c: StackConfig, datasourceUids: DashboardInput["datasourceUids"]): DashboardInput {
  return {
    datasourceUids,
    resources: perComponent((entry) => entry.resources?.(c)),
    namespaces: c.namespaces,
    spanServiceNames: Object.fromEntries(serviceKeys.map((s) => [s, c.tracing.sampling.services[s].serviceNames])) as Record<ServiceKey, string[]>,
  };
}

/**
 * The `environment` variable. Series carry no environment label (Prometheus adds it only as an external label, on
 * alerts and remote writes), and every environment runs its own Prometheus, so an environment is chosen by its
 * Prometheus datasource. It defaults to the one this Grafana is provisioned with.
 */
export const environmentVariable = "environment";

export function environment(prometheusUid: string): Variable {
  return {
    type: "datasource",
    name: environmentVariable,
    label: "Environment (Prometheus)",
    query: "prometheus",
    current: { text: prometheusUid, value: prometheusUid },
    hide: 0,
    refresh: 1,
    regex: "",
    options: [],
  };
}

/** Datasources of a dashboard: Prometheus through the environment variable, Loki by uid. */
export function datasourcesOf(input: DashboardInput): Datasources {
  return { prometheus: { type: "prometheus", uid: `\${${environmentVariable}}` }, loki: { type: "loki", uid: input.datasourceUids.loki } };
}

/** A custom variable listing `values`, all selected by default. */
export function listVariable(name: string, label: string, values: readonly string[], multi = true): Variable {
  return {
    type: "custom",
    name,
    label,
    query: values.join(","),
    current: multi ? { text: "All", value: "$__all" } : { text: values[0], value: values[0] },
    options: values.map((v, i) => ({ text: v, value: v, selected: !multi && i === 0 })),
    multi,
    includeAll: multi,
    hide: 0,
  };
}

/** A hidden constant, so shared panel builders can say `$name` and links can carry it. */
export function constantVariable(name: string, value: string): Variable {
  return { type: "constant", name, label: name, query: value, current: { text: value, value }, hide: 2, options: [] };
}

/** Tag every per-service SLO dashboard carries; the header dropdown lists them by it. */
export const serviceDashboardTag = "slo-service";

/** Header link to a dashboard by uid, keeping time range and environment. */
export function linkTo(uid: string, title: string): DashboardLink {
  return {
    title,
    type: "link",
    url: `/d/${uid}`,
    tags: [],
    asDropdown: false,
    includeVars: true,
    keepTime: true,
    targetBlank: false,
    icon: "dashboard",
    tooltip: title,
  };
}

/** Header dropdown of every dashboard tagged `tag`. */
export function linksTagged(tag: string, title: string): DashboardLink {
  return { title, type: "dashboards", url: "", tags: [tag], asDropdown: true, includeVars: true, keepTime: true, targetBlank: false, icon: "dashboard", tooltip: "" };
}

/** Panel link to a dashboard, keeping time range and environment. */
export function panelLinkTo(uid: string, title: string): { title: string; url: string } {
  return { title, url: `/d/${uid}?\${__url_time_range}&\${${environmentVariable}:queryparam}` };
}
