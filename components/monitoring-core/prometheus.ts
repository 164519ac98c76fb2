import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config";
import { buildRuleFiles, ruleFilesInputOf, sloDocument } from "../../rules";
import { identityAt, labelsFor, objectName, peerServiceName } from "../k8s/labels";
import { fieldEnv, httpProbes } from "../k8s/pod";
import { dataProtection } from "../k8s/protection";
import { deployService, type ServicePort } from "../k8s/service";
import { disruptionBudget, statefulSetArgs, type WorkloadPod } from "../k8s/workload";
import { topology } from "../topology";
import { monitoringDocuments } from "./config-maps";
import { buildPrometheusConfig, podNameVariable, prometheusPaths } from "./prometheus-config";

/** Prometheus and Alertmanager images run as nobody. */
export const nobody = { uid: 65534, gid: 65534 } as const;

/** How often Prometheus re-reads prometheus.yml and the rule files; a change is applied without a restart. */
export const configReloadInterval = "30s";

/** A WAL replay after a crash can take minutes on a full head block; the startup probe allows for it. */
const walReplaySeconds = 900;

/** The server's command line: v3 flags only, each checked against the v3 CLI reference. */
export function prometheusArgs(c: StackConfig): string[] {
  const p = c.monitoring.prometheus;
  return [
    `--config.file=${prometheusPaths.configFile}`,
    `--storage.tsdb.path=${prometheusPaths.dataDir}`,
    `--storage.tsdb.retention.time=${p.retention.time}`,
    `--storage.tsdb.retention.size=${p.retention.size}`,
    // The default since 2.20, stated so a future default change cannot silently double the WAL on disk.
    "--storage.tsdb.wal-compression",
    `--web.listen-address=:${topology.prometheus.ports.http}`,
    `--web.external-url=https://${c.ingress.hosts.prometheus}/`,
    "--web.route-prefix=/",
    // Reload on a checksum change of prometheus.yml or any rule file. The lifecycle API stays off, so nothing
    // reachable through the ingress can POST /-/quit.
    "--enable-feature=auto-reload-config",
    `--config.auto-reload-interval=${configReloadInterval}`,
    // The sampling gateways push the spans' RED metrics (spanmetrics) to /api/v1/otlp/v1/metrics of each replica;
    // inside the cluster only they may reach it (the monitoring NetworkPolicy); through the ingress it sits behind the
    // same authentication as the rest of the API (remote write stays off).
    "--web.enable-otlp-receiver",
    // Keeps the exemplars (trace IDs) the spanmetrics and the services attach, for Grafana's exemplar -> Jaeger link.
    "--enable-feature=exemplar-storage",
  ];
}

/**
 * The projected volume that puts prometheus.yml and every rule file in one directory tree, so `rule_files` is
 * relative to the config file and both update in place when their ConfigMaps change (no subPath).
 */
export function prometheusConfigVolume(configMapName: string, rulesConfigMapName: string, ruleFiles: string[]): k8s.types.input.core.v1.Volume {
  return {
    name: "config",
    projected: {
      sources: [
        { configMap: { name: configMapName, items: [{ key: "prometheus.yml", path: "prometheus.yml" }] } },
        {
          configMap: {
            name: rulesConfigMapName,
            items: ruleFiles.map((file) => ({ key: file, path: `${prometheusPaths.rulesDir}/${file}` })),
          },
        },
      ],
    },
  };
}

/** The pod of one Prometheus replica. */
export function prometheusPod(c: StackConfig, args: { serviceAccountName: string; configVolume: k8s.types.input.core.v1.Volume }): WorkloadPod {
  const p = c.monitoring.prometheus;
  return {
    serviceAccountName: args.serviceAccountName,
    // Kubernetes service discovery reads the API with this token, and the kubelet job authenticates with it.
    needsApiToken: true,
    user: nobody,
    // Long enough for the head block to be flushed cleanly instead of replaying the WAL on the next start.
    terminationGracePeriodSeconds: 600,
    containers: [
      {
        name: "prometheus",
        image: c.images.prometheus,
        args: prometheusArgs(c),
        env: [fieldEnv(podNameVariable, "metadata.name")],
        ports: [{ name: "http", containerPort: topology.prometheus.ports.http }],
        resources: p.resources,
        probes: httpProbes("http", "/-/ready", "/-/healthy", walReplaySeconds),
        volumeMounts: [
          { name: "config", mountPath: prometheusPaths.configDir, readOnly: true },
          { name: "data", mountPath: prometheusPaths.dataDir },
        ],
      },
    ],
    volumes: [args.configVolume],
  };
}

/** The StatefulSet of the Prometheus HA pair: identical replicas scraping the same targets. */
export function prometheusStatefulSet(
  c: StackConfig,
  args: { serviceAccountName: string; configVolume: k8s.types.input.core.v1.Volume; storageClassName: pulumi.Input<string> },
): k8s.apps.v1.StatefulSetArgs {
  const p = c.monitoring.prometheus;
  const id = identityAt(topology.prometheus.id, c.images.prometheus);
  return statefulSetArgs({
    id,
    namespace: c.namespaces.monitoring,
    replicas: p.replicas,
    serviceName: peerServiceName(id),
    pod: prometheusPod(c, args),
    claims: [{ name: "data", size: p.storage, storageClassName: args.storageClassName }],
  });
}

/**
 * What service discovery reads, cluster-wide (the catalogued services live in their own namespaces): get, list and watch
 * on pods, endpoints and services. No secrets, no writes.
 */
const podDiscovery: k8s.types.input.rbac.v1.PolicyRule = { apiGroups: [""], resources: ["pods", "endpoints", "services"], verbs: ["get", "list", "watch"] };

/**
 * What the kubelet job adds, and nothing more: node discovery is an informer (list and watch, never get), and a
 * kubelet authorizes `GET /metrics` as `get` on `nodes/metrics` through a SubjectAccessReview. `nodes/proxy` is never
 * granted: the kubelet maps every path it does not classify (exec, attach, run, port-forward) to it.
 */
const kubeletScrape: k8s.types.input.rbac.v1.PolicyRule[] = [
  { apiGroups: [""], resources: ["nodes"], verbs: ["list", "watch"] },
  { apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"] },
];

/** The rules of Prometheus' ClusterRole: pod discovery, plus the kubelet job's node rules while it is enabled. */
export function prometheusRbacRules(c: StackConfig): k8s.types.input.rbac.v1.PolicyRule[] {
  return [podDiscovery, ...(c.monitoring.kubelet.enabled ? kubeletScrape : [])];
}

/** The ServiceAccount, ClusterRole and binding of Prometheus' service discovery and kubelet scrapes. */
export function prometheusRbac(name: string, c: StackConfig, opts: pulumi.CustomResourceOptions): { serviceAccountName: string } {
  const id = topology.prometheus.id;
  const namespace = c.namespaces.monitoring;
  const serviceAccountName = id.instance;
  // Cluster-scoped names are shared by every namespace; the namespace keeps two stacks in one cluster apart.
  const clusterName = objectName(namespace, id.instance, "discovery");
  const sa = new k8s.core.v1.ServiceAccount(
    `${name}-sa`,
    { metadata: { name: serviceAccountName, namespace, labels: labelsFor(id) }, automountServiceAccountToken: false },
    opts,
  );
  const role = new k8s.rbac.v1.ClusterRole(`${name}-discovery`, { metadata: { name: clusterName, labels: labelsFor(id) }, rules: prometheusRbacRules(c) }, opts);
  new k8s.rbac.v1.ClusterRoleBinding(
    `${name}-discovery`,
    {
      metadata: { name: clusterName, labels: labelsFor(id) },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterName },
      subjects: [{ kind: "ServiceAccount", name: serviceAccountName, namespace }],
    },
    { ...opts, dependsOn: [sa, role] },
  );
  return { serviceAccountName };
}


/**
 * Prometheus: its configuration, rule files and SLO document, service discovery RBAC, the peer Service of the
 * StatefulSet and the session-affine Service Grafana and Jaeger read through, the HA pair itself and its PDB.
 */
export function deployPrometheus(tier: string, args: { config: StackConfig; storageClassName: pulumi.Input<string> }, parent: pulumi.Resource): void {
  const c = args.config;
  const id = topology.prometheus.id;
  const namespace = c.namespaces.monitoring;
  const child = { parent };
  const docs = (name: string, renderDir: string, documents: Record<string, unknown>) =>
    monitoringDocuments(tier, { name, namespace, id, renderDir, documents }, parent);
  const ruleFiles = buildRuleFiles(ruleFilesInputOf(c));
  const config = docs("prometheus-config", "", { "prometheus.yml": buildPrometheusConfig(c) });
  const rules = docs("prometheus-rules", "rules", ruleFiles);
  docs("slos", "", { "slos.json": sloDocument() });
  const { serviceAccountName } = prometheusRbac(`${tier}-prometheus`, c, child);
  const ports: ServicePort[] = [{ name: "http", port: topology.prometheus.ports.http }];
  deployService(tier, { kind: "peers", id, namespace, ports }, child);
  // Consecutive queries of one client hit one replica, so a dashboard never mixes the two replicas' samples.
  deployService(tier, { kind: "clusterIP", id, namespace, ports, sessionAffinity: "ClientIP", explicitType: true }, child);
  new k8s.apps.v1.StatefulSet(
    `${tier}-prometheus`,
    prometheusStatefulSet(c, {
      serviceAccountName,
      configVolume: prometheusConfigVolume("prometheus-config", "prometheus-rules", Object.keys(ruleFiles)),
      storageClassName: args.storageClassName,
    }),
    { ...dataProtection(c, parent), dependsOn: [config.configMap, rules.configMap] },
  );
  disruptionBudget(`${tier}-prometheus`, { id, namespace, ...c.monitoring.prometheus }, child);
}
