import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RandomPassword } from "@pulumi/random/randomPassword";
import type { LoadedConfig, StackConfig } from "../../config";
import { buildDashboards } from "../../dashboards";
import { buildAlertmanagerConfig, buildRuleFiles, ruleFilesInputOf, sloDocument } from "../../rules";
import { documentsConfigMap } from "../k8s/documents";
import { authAnnotations, stickySessionAnnotations, tlsIngress } from "../k8s/ingress";
import { labelsFor, objectName, selectorLabels } from "../k8s/labels";
import { allowFlows } from "../k8s/network";
import { dataProtection } from "../k8s/protection";
import { disruptionBudget } from "../k8s/workload";
import { topology } from "../topology";
import { alertingOf, alertmanagerPaths, alertmanagerSecretData, alertmanagerStatefulSet } from "./alertmanager";
import { buildDashboardProviders, buildDatasources, datasourceUids, grafanaGossipPort, grafanaWorkload, type GrafanaMounts } from "./grafana";
import { grafanaDatabase, grafanaDatabaseResources } from "./grafana-database";
import { monitoringPolicies } from "./network";
import { prometheusConfigVolume, prometheusRbac, prometheusStatefulSet } from "./prometheus";
import { buildPrometheusConfig } from "./prometheus-config";
import { clusterServiceArgs, headlessServiceArgs } from "./services";

export interface MonitoringCoreArgs {
  config: StackConfig;
  secrets: LoadedConfig["secrets"];
  /** The platform's encrypted StorageClass; every claim of this tier uses it. */
  storageClassName: pulumi.Output<string>;
}

/**
 * The monitoring tier: a Prometheus HA pair, an Alertmanager gossip cluster and Grafana (on RDS PostgreSQL in prod),
 * exposed through one TLS Ingress, with exactly the network flows they need. Documents and pod specs are built by
 * the plain functions of this folder; this class only registers them.
 */
export class MonitoringCore extends pulumi.ComponentResource {
  readonly outputs: Record<string, pulumi.Input<unknown>>;

  constructor(name: string, args: MonitoringCoreArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sigma:observability:MonitoringCore", name, {}, opts);
    const c = args.config;
    const namespace = c.namespaces.monitoring;
    const child = { parent: this };
    const keep = dataProtection(c, this);
    const m = c.monitoring;

    // Prometheus
    const prom = topology.prometheus.id;
    const ruleFiles = buildRuleFiles(ruleFilesInputOf(c));
    const docs = (suffix: string, renderDir: string, documents: Record<string, unknown>, id = prom) =>
      documentsConfigMap(`${name}-${suffix}`, { name: objectName(suffix), namespace, labels: labelsFor(id), renderDir, documents }, child);
    const promConfig = docs("prometheus-config", "", { "prometheus.yml": buildPrometheusConfig(c) });
    const rules = docs("prometheus-rules", "rules", ruleFiles);
    docs("slos", "", { "slos.json": sloDocument() });
    const { serviceAccountName } = prometheusRbac(`${name}-prometheus`, c, child);
    const promPorts = [{ name: "http", port: topology.prometheus.ports.http, targetPort: "http" }];
    new k8s.core.v1.Service(`${name}-prometheus-headless`, headlessServiceArgs(prom, namespace, promPorts), child);
    new k8s.core.v1.Service(`${name}-prometheus`, clusterServiceArgs(prom, namespace, promPorts, "ClientIP"), child);
    new k8s.apps.v1.StatefulSet(
      `${name}-prometheus`,
      prometheusStatefulSet(c, {
        serviceAccountName,
        configVolume: prometheusConfigVolume("prometheus-config", "prometheus-rules", Object.keys(ruleFiles)),
        storageClassName: args.storageClassName,
      }),
      { ...keep, dependsOn: [promConfig.configMap, rules.configMap] },
    );
    disruptionBudget(`${name}-prometheus`, { id: prom, namespace, ...m.prometheus }, child);

    // Alertmanager
    const am = topology.alertmanager.id;
    const alerting = alertingOf(c);
    const amConfig = docs(
      "alertmanager-config",
      "",
      { "alertmanager.yml": buildAlertmanagerConfig({ environment: c.environment, cluster: c.cluster.name, alerting, secretsDir: alertmanagerPaths.secretsDir }) },
      am,
    );
    const amSecret = new k8s.core.v1.Secret(
      `${name}-alertmanager-receivers`,
      {
        metadata: { name: "alertmanager-receivers", namespace, labels: labelsFor(am) },
        type: "Opaque",
        stringData: alertmanagerSecretData(alerting, args.secrets),
      },
      child,
    );
    const amPorts = [{ name: "http", port: topology.alertmanager.ports.http, targetPort: "http" }];
    const gossip = [
      { name: "cluster-tcp", port: topology.alertmanager.ports.cluster, targetPort: "cluster-tcp", protocol: "TCP" },
      { name: "cluster-udp", port: topology.alertmanager.ports.cluster, targetPort: "cluster-udp", protocol: "UDP" },
    ];
    new k8s.core.v1.Service(`${name}-alertmanager-headless`, headlessServiceArgs(am, namespace, [...amPorts, ...gossip]), child);
    new k8s.core.v1.Service(`${name}-alertmanager`, clusterServiceArgs(am, namespace, amPorts), child);
    new k8s.apps.v1.StatefulSet(
      `${name}-alertmanager`,
      alertmanagerStatefulSet(c, {
        configMapName: "alertmanager-config",
        secretName: "alertmanager-receivers",
        storageClassName: args.storageClassName,
        configChecksum: amConfig.checksum,
      }),
      { ...keep, dependsOn: [amConfig.configMap, amSecret] },
    );
    disruptionBudget(`${name}-alertmanager`, { id: am, namespace, ...m.alertmanager }, child);

    // Grafana
    const gf = topology.grafana.id;
    const adminPassword = new RandomPassword(`${name}-grafana-admin-password`, { length: 32, special: false }, keep);
    const secretKey = new RandomPassword(`${name}-grafana-secret-key`, { length: 40, special: false }, keep);
    const adminSecret = new k8s.core.v1.Secret(
      `${name}-grafana-admin`,
      {
        metadata: { name: "grafana-admin", namespace, labels: labelsFor(gf) },
        type: "Opaque",
        stringData: { "admin-password": adminPassword.result, "secret-key": secretKey.result },
      },
      keep,
    );
    const db = m.grafana.database.kind === "postgres" ? grafanaDatabaseResources(`${name}-grafana`, c, m.grafana.database, this) : undefined;
    const dbSecret = db
      ? new k8s.core.v1.Secret(
          `${name}-grafana-database`,
          {
            metadata: { name: "grafana-database", namespace, labels: labelsFor(gf) },
            type: "Opaque",
            stringData: { host: db.hostPort, database: grafanaDatabase.name, username: grafanaDatabase.username, password: db.password },
          },
          keep,
        )
      : undefined;
    const datasources = docs("grafana-datasources", "grafana", { "datasources.yaml": buildDatasources(c) }, gf);
    const providers = docs("grafana-dashboard-providers", "grafana", { "dashboards.yaml": buildDashboardProviders() }, gf);
    const dashboards = Object.entries(buildDashboards(c, datasourceUids)).map(([file, dashboard]) => {
      const configMapName = objectName("grafana-dashboard", file.replace(/\.json$/, ""));
      const created = docs(configMapName, "dashboards", { [file]: dashboard }, gf);
      return { name: configMapName, file, configMap: created.configMap };
    });
    const mounts: GrafanaMounts = {
      adminSecretName: "grafana-admin",
      datasourcesConfigMap: "grafana-datasources",
      providersConfigMap: "grafana-dashboard-providers",
      dashboardConfigMaps: dashboards.map(({ name: n, file }) => ({ name: n, file })),
      ...(dbSecret ? { databaseSecretName: "grafana-database" } : {}),
    };
    const gfPorts = [{ name: "http", port: topology.grafana.ports.http, targetPort: "http" }];
    const gfGossip =
      m.grafana.replicas > 1
        ? [
            { name: "gossip-tcp", port: grafanaGossipPort, targetPort: "gossip-tcp", protocol: "TCP" },
            { name: "gossip-udp", port: grafanaGossipPort, targetPort: "gossip-udp", protocol: "UDP" },
          ]
        : [];
    new k8s.core.v1.Service(`${name}-grafana-headless`, headlessServiceArgs(gf, namespace, [...gfPorts, ...gfGossip]), child);
    new k8s.core.v1.Service(`${name}-grafana`, clusterServiceArgs(gf, namespace, gfPorts), child);
    const workload = grafanaWorkload(c, mounts, {
      storageClassName: args.storageClassName,
      checksum: [datasources.checksum, providers.checksum].join(":"),
    });
    const gfDeps = [adminSecret, datasources.configMap, providers.configMap, ...dashboards.map((d) => d.configMap), ...(dbSecret ? [dbSecret] : [])];
    if (workload.kind === "StatefulSet") new k8s.apps.v1.StatefulSet(`${name}-grafana`, workload.args, { ...keep, dependsOn: gfDeps });
    else new k8s.apps.v1.Deployment(`${name}-grafana`, workload.args, { ...child, dependsOn: gfDeps });
    disruptionBudget(`${name}-grafana`, { id: gf, namespace, replicas: m.grafana.replicas, maxUnavailable: m.grafana.maxUnavailable }, child);

    // Exposure and network
    tlsIngress(
      `${name}-ingress`,
      {
        name: "monitoring",
        namespace,
        ingress: c.ingress,
        ingressController: c.network.ingressController,
        labels: labelsFor({ app: "monitoring", component: "ingress", instance: "monitoring" }),
        // nginx applies auth per Ingress: all three hosts are behind it; Grafana keeps its own login as well.
        annotations: { ...authAnnotations(c.ingress.auth), ...stickySessionAnnotations("sigma-monitoring-affinity") },
        routes: [
          { host: c.ingress.hosts.grafana, serviceName: gf.instance, servicePort: topology.grafana.ports.http },
          { host: c.ingress.hosts.prometheus, serviceName: prom.instance, servicePort: topology.prometheus.ports.http },
          { host: c.ingress.hosts.alertmanager, serviceName: am.instance, servicePort: topology.alertmanager.ports.http },
        ],
      },
      child,
    );
    for (const policy of monitoringPolicies(c)) {
      const id = topology[policy.workload].id;
      allowFlows(
        `${name}-netpol-${policy.workload}`,
        { name: id.instance, namespace, podSelector: selectorLabels(id), ingress: policy.ingress, egress: policy.egress, labels: labelsFor(id) },
        child,
      );
    }

    this.outputs = {
      grafanaUrl: `https://${c.ingress.hosts.grafana}/`,
      prometheusUrl: `https://${c.ingress.hosts.prometheus}/`,
      alertmanagerUrl: `https://${c.ingress.hosts.alertmanager}/`,
      grafanaAdminUser: "admin",
      grafanaAdminPassword: pulumi.secret(adminPassword.result),
      ...(db ? { grafanaDatabaseEndpoint: db.hostPort } : {}),
    };
    this.registerOutputs(this.outputs);
  }
}
