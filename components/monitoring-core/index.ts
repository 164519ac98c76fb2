import * as pulumi from "@pulumi/pulumi";
import type { LoadedConfig, StackConfig } from "../../config";
import { deployNetworkPolicies } from "../k8s/network";
import { deployAlertmanager } from "./alertmanager";
import { deployGrafana } from "./grafana";
import { deployMonitoringIngress } from "./ingress";
import { monitoringPolicies } from "./network";
import { deployPrometheus } from "./prometheus";

export interface MonitoringCoreArgs {
  config: StackConfig;
  secrets: LoadedConfig["secrets"];
  /** The platform's encrypted StorageClass; every claim of this tier uses it. */
  storageClassName: pulumi.Output<string>;
}

/**
 * The monitoring tier: a Prometheus HA pair, an Alertmanager gossip cluster and Grafana (on RDS PostgreSQL in prod),
 * exposed through one TLS Ingress, with exactly the network flows they need. Documents and pod specs are built by
 * the plain functions of this folder and registered by its `deployX` functions.
 */
export class MonitoringCore extends pulumi.ComponentResource {
  readonly outputs: Record<string, pulumi.Input<unknown>>;

  constructor(name: string, args: MonitoringCoreArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sigma:observability:MonitoringCore", name, {}, opts);
    const c = args.config;
    const storageClassName = args.storageClassName;

    deployPrometheus(name, { config: c, storageClassName }, this);
    deployAlertmanager(name, { config: c, secrets: args.secrets, storageClassName }, this);
    const grafana = deployGrafana(name, { config: c, storageClassName }, this);
    deployMonitoringIngress(name, c, this);
    deployNetworkPolicies(name, monitoringPolicies(c), this);

    this.outputs = {
      grafanaUrl: `https://${c.ingress.hosts.grafana}/`,
      prometheusUrl: `https://${c.ingress.hosts.prometheus}/`,
      alertmanagerUrl: `https://${c.ingress.hosts.alertmanager}/`,
      grafanaAdminUser: "admin",
      grafanaAdminPassword: pulumi.secret(grafana.adminPassword),
      ...(grafana.databaseEndpoint ? { grafanaDatabaseEndpoint: grafana.databaseEndpoint } : {}),
    };
    this.registerOutputs(this.outputs);
  }
}
