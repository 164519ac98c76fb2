import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { LoadedConfig, StackConfig } from "../../config";
import { alertmanagerSecretFiles, alertmanagerSecretsMountDir, buildAlertmanagerConfig, type AlertingConfig } from "../../rules";
import { pagerdutySecretKey } from "../../rules/alertmanager";
import { identityAt, labelsFor, peerServiceName } from "../k8s/labels";
import { fieldEnv, httpProbes } from "../k8s/pod";
import { dataProtection } from "../k8s/protection";
import { deployService, type ServicePort } from "../k8s/service";
import { disruptionBudget, statefulSetArgs, type WorkloadPod } from "../k8s/workload";
import { topology } from "../topology";
import { monitoringDocuments } from "./config-maps";
import { nobody } from "./prometheus";
import { ConfigError, problem } from "../../config/errors";

export const alertmanagerPaths = {
  configDir: "/etc/alertmanager/config",
  configFile: "/etc/alertmanager/config/alertmanager.yml",
  secretsDir: alertmanagerSecretsMountDir,
  dataDir: "/alertmanager",
} as const;

/** The stack's `alerting` section, typed as the rules/ schema that parses it. */
export function alertingOf(c: StackConfig): AlertingConfig {
  return c.alerting as unknown as AlertingConfig;
}

/**
 * The gossip peers: every replica by its stable StatefulSet DNS name through the headless Service. Each pod lists
 * itself too, so the list is the same for all and a restarted pod rejoins whichever peers are up.
 */
export function alertmanagerPeers(c: StackConfig): string[] {
  const a = topology.alertmanager;
  const host = (i: number) => `${a.id.instance}-${i}.${peerServiceName(a.id)}.${c.namespaces.monitoring}.svc.cluster.local`;
  return Array.from({ length: c.monitoring.alertmanager.replicas }, (_, i) => `${host(i)}:${a.ports.cluster}`);
}

/**
 * Alertmanager's command line. With more than one replica they form one cluster that shares silences and the
 * notification log, so a pair sends each notification once; a single replica runs with clustering off.
 */
export function alertmanagerArgs(c: StackConfig): string[] {
  const a = c.monitoring.alertmanager;
  const ports = topology.alertmanager.ports;
  const clustered = a.replicas > 1;
  return [
    `--config.file=${alertmanagerPaths.configFile}`,
    `--storage.path=${alertmanagerPaths.dataDir}`,
    `--data.retention=${a.dataRetention}`,
    `--web.listen-address=:${ports.http}`,
    `--web.external-url=https://${c.ingress.hosts.alertmanager}/`,
    "--web.route-prefix=/",
    ...(clustered
      ? [
          `--cluster.listen-address=0.0.0.0:${ports.cluster}`,
          // Pod IPs are not always in RFC 1918 ranges (e.g. VPC CNI custom networking), where auto-detection fails.
          `--cluster.advertise-address=$(POD_IP):${ports.cluster}`,
          ...alertmanagerPeers(c).map((peer) => `--cluster.peer=${peer}`),
        ]
      : ["--cluster.listen-address="]),
  ];
}

/** The pod of one Alertmanager replica: config from a ConfigMap, receiver credentials as files from a Secret. */
export function alertmanagerPod(c: StackConfig, args: { configMapName: string; secretName: string }): WorkloadPod {
  const a = c.monitoring.alertmanager;
  const ports = topology.alertmanager.ports;
  return {
    user: nobody,
    containers: [
      {
        name: "alertmanager",
        image: c.images.alertmanager,
        args: alertmanagerArgs(c),
        env: [fieldEnv("POD_IP", "status.podIP")],
        ports: [
          { name: "http", containerPort: ports.http },
          { name: "cluster-tcp", containerPort: ports.cluster, protocol: "TCP" },
          { name: "cluster-udp", containerPort: ports.cluster, protocol: "UDP" },
        ],
        resources: a.resources,
        probes: httpProbes("http", "/-/ready", "/-/healthy"),
        volumeMounts: [
          { name: "config", mountPath: alertmanagerPaths.configDir, readOnly: true },
          { name: "secrets", mountPath: alertmanagerPaths.secretsDir, readOnly: true },
          { name: "data", mountPath: alertmanagerPaths.dataDir },
        ],
      },
    ],
    volumes: [
      { name: "config", configMap: { name: args.configMapName } },
      // 0440: readable by the pod's group (fsGroup) only.
      { name: "secrets", secret: { secretName: args.secretName, defaultMode: 0o440 } },
    ],
  };
}

/** The Alertmanager StatefulSet; `configChecksum` rolls the pods when alertmanager.yml changes. */
export function alertmanagerStatefulSet(
  c: StackConfig,
  args: { configMapName: string; secretName: string; storageClassName: pulumi.Input<string>; configChecksum: string },
): k8s.apps.v1.StatefulSetArgs {
  const a = c.monitoring.alertmanager;
  const id = identityAt(topology.alertmanager.id, c.images.alertmanager);
  return statefulSetArgs({
    id,
    namespace: c.namespaces.monitoring,
    replicas: a.replicas,
    serviceName: peerServiceName(id),
    pod: alertmanagerPod(c, args),
    claims: [{ name: "data", size: a.storage, storageClassName: args.storageClassName }],
    checksums: { config: args.configChecksum },
  });
}

/**
 * The receiver credentials as Secret data: exactly the keys alertmanager.yml reads as files
 * (`alertmanagerSecretFiles`), each filled from the Pulumi secret config. Throws naming the missing secret.
 */
export function alertmanagerSecretData(
  alerting: AlertingConfig,
  secrets: LoadedConfig["secrets"],
): pulumi.Output<Record<string, string>> {
  const keys = Object.keys(alertmanagerSecretFiles(alerting));
  const values: pulumi.Output<[string, Record<string, string>, string | undefined]> = pulumi.all([
    secrets.slackWebhookUrl,
    secrets.pagerdutyRoutingKeys,
    secrets.smtpPassword,
  ]) as pulumi.Output<[string, Record<string, string>, string | undefined]>;
  return values.apply(([slack, pagerduty, smtp]) =>
    Object.fromEntries(
      keys.map((key): [string, string] => {
        if (key === "slack-webhook-url") return [key, slack];
        if (key === "smtp-password") {
          if (smtp === undefined) {
            throw new ConfigError([problem(["smtpPassword"], undefined, `the password of SMTP user ${alerting.email.username}`)], "secret config");
          }
          return [key, smtp];
        }
        const team = Object.keys(alerting.teams).find((t) => pagerdutySecretKey(t) === key);
        if (team === undefined) throw new Error(`alertmanager.yml reads the credential file "${key}", which no secret config key provides`);
        if (!(team in pagerduty)) {
          const allowed = `the PagerDuty Events v2 key of team ${team} (pulumi config set --secret --path 'pagerdutyRoutingKeys.${team}' <key>)`;
          throw new ConfigError([problem(["pagerdutyRoutingKeys", team], undefined, allowed)], "secret config");
        }
        return [key, pagerduty[team]];
      }),
    ),
  );
}

/**
 * Alertmanager: alertmanager.yml, the Secret of receiver credentials, the peer Service its replicas gossip through
 * and the Service clients use, the StatefulSet and its PDB.
 */
export function deployAlertmanager(
  tier: string,
  args: { config: StackConfig; secrets: LoadedConfig["secrets"]; storageClassName: pulumi.Input<string> },
  parent: pulumi.Resource,
): void {
  const c = args.config;
  const id = topology.alertmanager.id;
  const namespace = c.namespaces.monitoring;
  const child = { parent };
  const alerting = alertingOf(c);
  const config = monitoringDocuments(
    tier,
    {
      name: "alertmanager-config",
      namespace,
      id,
      renderDir: "",
      documents: {
        "alertmanager.yml": buildAlertmanagerConfig({ environment: c.environment, cluster: c.cluster.name, alerting, secretsDir: alertmanagerPaths.secretsDir }),
      },
    },
    parent,
  );
  const secret = new k8s.core.v1.Secret(
    `${tier}-alertmanager-receivers`,
    {
      metadata: { name: "alertmanager-receivers", namespace, labels: labelsFor(id) },
      type: "Opaque",
      stringData: alertmanagerSecretData(alerting, args.secrets),
    },
    child,
  );
  const ports: ServicePort[] = [{ name: "http", port: topology.alertmanager.ports.http }];
  const gossip: ServicePort[] = [
    { name: "cluster-tcp", port: topology.alertmanager.ports.cluster, protocol: "TCP" },
    { name: "cluster-udp", port: topology.alertmanager.ports.cluster, protocol: "UDP" },
  ];
  deployService(tier, { kind: "peers", id, namespace, ports: [...ports, ...gossip] }, child);
  deployService(tier, { kind: "clusterIP", id, namespace, ports, explicitType: true }, child);
  new k8s.apps.v1.StatefulSet(
    `${tier}-alertmanager`,
    alertmanagerStatefulSet(c, {
      configMapName: "alertmanager-config",
      secretName: "alertmanager-receivers",
      storageClassName: args.storageClassName,
      configChecksum: config.checksum,
    }),
    { ...dataProtection(c, parent), dependsOn: [config.configMap, secret] },
  );
  disruptionBudget(`${tier}-alertmanager`, { id, namespace, ...c.monitoring.alertmanager }, child);
}
