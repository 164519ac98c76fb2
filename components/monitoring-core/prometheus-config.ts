import type { StackConfig } from "../../config";
import type { KubeletScrape } from "../../config/monitoring";
import { perComponent } from "../../catalog/components";
import { componentJobs, kubeletJob, serviceJob, type ComponentKey } from "../../rules/jobs";
import { serviceKeys } from "../../rules/metrics";
import { topology, namespaceOf, type Workload } from "../topology";
import { selectorLabels } from "../k8s/labels";

/**
 * prometheus.yml as a typed document: the fields of the Prometheus configuration reference this stack uses, in
 * the shape the deployed Prometheus (and its `promtool check config`) accepts.
 */
export interface RelabelConfig {
  source_labels?: string[];
  separator?: string;
  regex?: string;
  target_label?: string;
  replacement?: string;
  action?: "replace" | "keep" | "drop" | "labelmap" | "labeldrop" | "labelkeep";
}

export interface KubernetesSdConfig {
  role: "pod" | "endpoints" | "service" | "node";
  namespaces?: { names: string[] };
  selectors?: { role: "pod" | "endpoints" | "service" | "node"; label?: string; field?: string }[];
}

/** `authorization` of a scrape config: the `Bearer` type (the default) with credentials read from a file. */
export interface Authorization {
  credentials_file: string;
}

export interface TlsConfig {
  ca_file?: string;
  insecure_skip_verify?: boolean;
}

export interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  scheme?: "http" | "https";
  authorization?: Authorization;
  tls_config?: TlsConfig;
  kubernetes_sd_configs: KubernetesSdConfig[];
  relabel_configs: RelabelConfig[];
  /** Applied to scraped series before storage; `up` and the `scrape_*` series are not subject to it. */
  metric_relabel_configs?: RelabelConfig[];
}

export interface AlertmanagerConfigEntry {
  api_version: "v2";
  scheme: "http";
  timeout: string;
  kubernetes_sd_configs: KubernetesSdConfig[];
  relabel_configs: RelabelConfig[];
}

export interface PrometheusConfig {
  global: {
    scrape_interval: string;
    scrape_timeout: string;
    evaluation_interval: string;
    external_labels: Record<string, string>;
  };
  rule_files: string[];
  alerting: { alert_relabel_configs: RelabelConfig[]; alertmanagers: AlertmanagerConfigEntry[] };
  scrape_configs: ScrapeConfig[];
}

/** Where the pod sees its files: prometheus.yml and, next to it, the rule files (one projected volume). */
export const prometheusPaths = {
  configDir: "/etc/prometheus",
  configFile: "/etc/prometheus/prometheus.yml",
  /** Relative to the config file, so `promtool check config` finds the rule files in any directory. */
  rulesDir: "rules",
  dataDir: "/prometheus",
} as const;

/**
 * The external label that tells the two replicas apart. Prometheus v3 expands `${POD_NAME}` in external label values
 * from the environment; the pod sets POD_NAME from its own name.
 */
export const replicaLabel = "replica";
export const podNameVariable = "POD_NAME";

/** Where Kubernetes mounts a pod's ServiceAccount token and the cluster CA bundle. */
export const serviceAccountFiles = {
  token: "/var/run/secrets/kubernetes.io/serviceaccount/token",
  caCert: "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
} as const;

/** The kubelet's authenticated HTTPS port (its `port` setting). The unauthenticated read-only port is never used. */
export const kubeletPort = 10250;

/**
 * The kubelet series the stack stores: the two gauges the PersistentVolumeFillingUp alert divides. A kubelet exposes
 * thousands of series (REST client, storage operation and runtime histograms); everything else is dropped at scrape.
 */
export const kubeletMetrics = ["kubelet_volume_stats_available_bytes", "kubelet_volume_stats_capacity_bytes"] as const;

/** Which of the stack's workloads each component job scrapes: the endpoints of its registry entry. */
export const componentTargets: Readonly<Record<ComponentKey, readonly Workload[]>> = perComponent((c) => Object.keys(c.endpoints) as Workload[]);

/** The port a workload serves `/metrics` on. */
export function metricsPort(w: Workload): number {
  const e = topology[w];
  return e.ports[e.metricsPort];
}

/** Labels every Kubernetes-discovered target gets, so queries and alerts can name the pod that failed. */
const podTargetLabels: RelabelConfig[] = [
  { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace", action: "replace" },
  { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod", action: "replace" },
  { source_labels: ["__meta_kubernetes_pod_container_name"], target_label: "container", action: "replace" },
];

/** Pods that finished (Jobs, evicted pods) still appear in discovery; scraping them only produces `up == 0`. */
const dropFinishedPods: RelabelConfig = {
  source_labels: ["__meta_kubernetes_pod_phase"],
  regex: "Succeeded|Failed",
  action: "drop",
};

function labelSelector(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

/** Keeps the one discovered container port of a pod whose number is `port` (pod SD yields one target per port). */
function keepPort(port: number): RelabelConfig {
  return { source_labels: ["__meta_kubernetes_pod_container_port_number"], regex: String(port), action: "keep" };
}

/**
 * The scrape job of one of the stack's components: pod SD per workload, in the workload's namespace, by its selector
 * labels, keeping the workloads' metrics ports.
 */
export function componentScrapeConfig(c: StackConfig, key: ComponentKey): ScrapeConfig {
  const workloads = componentTargets[key];
  const ports = [...new Set(workloads.map(metricsPort))];
  return {
    job_name: componentJobs[key],
    metrics_path: "/metrics",
    scheme: "http",
    kubernetes_sd_configs: workloads.map((w) => ({
      role: "pod",
      namespaces: { names: [namespaceOf(c.namespaces, w)] },
      selectors: [{ role: "pod", label: labelSelector(selectorLabels(topology[w].id)) }],
    })),
    relabel_configs: [
      dropFinishedPods,
      { source_labels: ["__meta_kubernetes_pod_container_port_number"], regex: ports.join("|"), action: "keep" },
      ...podTargetLabels,
    ],
  };
}

/**
 * The scrape job of one catalogued service: pods carrying `<podLabel>=<service>` anywhere in the cluster, on the
 * container port named `metricsPortName`. NetworkPolicy confines the reachable ones to the labelled namespaces.
 */
export function serviceScrapeConfig(c: StackConfig, service: (typeof serviceKeys)[number]): ScrapeConfig {
  const sd = c.monitoring.serviceDiscovery;
  return {
    job_name: serviceJob(service),
    metrics_path: "/metrics",
    scheme: "http",
    kubernetes_sd_configs: [{ role: "pod", selectors: [{ role: "pod", label: `${sd.podLabel}=${service}` }] }],
    relabel_configs: [
      dropFinishedPods,
      { source_labels: ["__meta_kubernetes_pod_container_port_name"], regex: sd.metricsPortName, action: "keep" },
      ...podTargetLabels,
    ],
  };
}

const nodeInternalIp = "__meta_kubernetes_node_address_InternalIP";

/**
 * The kubelet job: node discovery, then each kubelet scraped directly at `<InternalIP>:10250` over HTTPS with the
 * ServiceAccount token (the kubelet authorizes it as `get` on `nodes/metrics`). The address is rebuilt from the
 * InternalIP rather than taken from discovery, which would fall back to an ExternalIP and use whatever port the node
 * reports: the NetworkPolicy opens only the node CIDRs on {@link kubeletPort}. No target label is added: discovery
 * sets `instance` to the node name, and a target `namespace` label would rename the series' own `namespace` (the
 * PVC's) to `exported_namespace`, which the alert does not select.
 */
export function kubeletScrapeConfig(k: Extract<KubeletScrape, { enabled: true }>): ScrapeConfig {
  return {
    job_name: kubeletJob,
    metrics_path: "/metrics",
    scheme: "https",
    authorization: { credentials_file: serviceAccountFiles.token },
    tls_config: k.verifyTls ? { ca_file: serviceAccountFiles.caCert } : { insecure_skip_verify: true },
    kubernetes_sd_configs: [{ role: "node" }],
    relabel_configs: [
      { source_labels: [nodeInternalIp], regex: ".+", action: "keep" },
      { source_labels: [nodeInternalIp], regex: "(.+)", target_label: "__address__", replacement: `\${1}:${kubeletPort}`, action: "replace" },
    ],
    metric_relabel_configs: [{ source_labels: ["__name__"], regex: kubeletMetrics.join("|"), action: "keep" }],
  };
}

/**
 * The whole prometheus.yml. Both replicas get the same file; they differ only by the `replica` external label,
 * which alert relabelling drops so that Alertmanager sees one alert, not two, and deduplicates the pair.
 */
export function buildPrometheusConfig(c: StackConfig): PrometheusConfig {
  const m = c.monitoring;
  const am = topology.alertmanager;
  return {
    global: {
      scrape_interval: m.scrapeInterval,
      scrape_timeout: m.scrapeTimeout,
      evaluation_interval: m.evaluationInterval,
      external_labels: { cluster: c.cluster.name, environment: c.environment, [replicaLabel]: `\${${podNameVariable}}` },
    },
    rule_files: [`${prometheusPaths.rulesDir}/*.yml`],
    alerting: {
      alert_relabel_configs: [{ regex: replicaLabel, action: "labeldrop" }],
      alertmanagers: [
        {
          api_version: "v2",
          scheme: "http",
          timeout: "10s",
          // Every Alertmanager replica must receive every alert; a load-balanced Service would reach only one.
          kubernetes_sd_configs: [
            {
              role: "pod",
              namespaces: { names: [namespaceOf(c.namespaces, "alertmanager")] },
              selectors: [{ role: "pod", label: labelSelector(selectorLabels(am.id)) }],
            },
          ],
          relabel_configs: [dropFinishedPods, keepPort(am.ports.http)],
        },
      ],
    },
    scrape_configs: [
      ...serviceKeys.map((s) => serviceScrapeConfig(c, s)),
      ...(Object.keys(componentJobs) as ComponentKey[]).map((k) => componentScrapeConfig(c, k)),
      ...(m.kubelet.enabled ? [kubeletScrapeConfig(m.kubelet)] : []),
    ],
  };
}
