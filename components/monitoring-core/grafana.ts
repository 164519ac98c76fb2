import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RandomPassword } from "@pulumi/random/randomPassword";
import type { StackConfig } from "../../config";
import { buildDashboards } from "../../dashboards";
import { identityAt, labelsFor, objectName, peerServiceName } from "../k8s/labels";
import { fieldEnv, httpProbes, scratchVolume } from "../k8s/pod";
import { dataProtection, protectsData } from "../k8s/protection";
import { deployService, type ServicePort } from "../k8s/service";
import { deploymentArgs, disruptionBudget, statefulSetArgs, type WorkloadPod } from "../k8s/workload";
import { serviceUrl, topology } from "../topology";
import { monitoringDocuments } from "./config-maps";
import { jaegerCorrelation, lokiCorrelation, prometheusCorrelation } from "./correlation";
import { databaseIdentifier, deployGrafanaDatabase, grafanaDatabase } from "./grafana-database";

/** The Grafana image runs as uid 472; its group is root, which pods never use, so the group is 472 too. */
export const grafanaUser = { uid: 472, gid: 472 } as const;

/** Gossip port of Grafana's alerting HA (notification log and silences), TCP and UDP. */
export const grafanaGossipPort = topology.grafana.ports.gossip;

export const grafanaPaths = {
  data: "/var/lib/grafana",
  provisioning: "/etc/grafana/provisioning",
  dashboards: "/etc/grafana/dashboards",
  databaseCa: "/etc/grafana/database-ca",
  secrets: "/etc/grafana/secrets",
} as const;

/** Datasource uids, stable so dashboards and cross-links can name them. */
export const datasourceUids = { prometheus: "prometheus", alertmanager: "alertmanager", loki: "loki", jaeger: "jaeger" } as const;

export interface Datasource {
  name: string;
  uid: string;
  type: "prometheus" | "alertmanager" | "loki" | "jaeger";
  access: "proxy";
  url: string;
  isDefault: boolean;
  editable: false;
  jsonData: Record<string, unknown>;
}

/** `provisioning/datasources/datasources.yaml` of Grafana's provisioning reference. */
export interface DatasourcesFile {
  apiVersion: 1;
  datasources: Datasource[];
}

/** `provisioning/dashboards/dashboards.yaml`: a file provider reading the mounted dashboard JSON. */
export interface DashboardProvidersFile {
  apiVersion: 1;
  providers: {
    name: string;
    orgId: number;
    folder: string;
    type: "file";
    disableDeletion: boolean;
    allowUiUpdates: boolean;
    updateIntervalSeconds: number;
    options: { path: string; foldersFromFilesStructure: boolean };
  }[];
}

/**
 * The datasources (Prometheus, Alertmanager, Loki, Jaeger). URLs are the in-cluster Services of topology.ts, the same table the logging and tracing
 * tiers build their Services from, so the wiring holds whichever tier is deployed first. Prometheus is read through
 * its ClientIP-affine Service, which pins each Grafana pod (the client it sees) to one Prometheus replica; only the
 * Ingress's cookie affinity keeps a browser on one Grafana pod. Together they keep a browser on one replica's series
 * while its pods live; a replaced pod or an expired affinity may move it to the other replica once. The three
 * telemetry datasources link to each other (./correlation.ts).
 */
export function buildDatasources(c: StackConfig): DatasourcesFile {
  const common = { access: "proxy", editable: false } as const;
  return {
    apiVersion: 1,
    datasources: [
      {
        ...common,
        name: "Prometheus",
        uid: datasourceUids.prometheus,
        type: "prometheus",
        url: serviceUrl(c.namespaces, "prometheus", "http"),
        isDefault: true,
        jsonData: { httpMethod: "POST", timeInterval: c.monitoring.scrapeInterval, prometheusType: "Prometheus", ...prometheusCorrelation(datasourceUids) },
      },
      {
        ...common,
        name: "Alertmanager",
        uid: datasourceUids.alertmanager,
        type: "alertmanager",
        url: serviceUrl(c.namespaces, "alertmanager", "http"),
        isDefault: false,
        jsonData: { implementation: "prometheus", handleGrafanaManagedAlerts: false },
      },
      {
        ...common,
        name: "Loki",
        uid: datasourceUids.loki,
        type: "loki",
        url: serviceUrl(c.namespaces, "loki", "http"),
        isDefault: false,
        jsonData: { maxLines: 1000, ...lokiCorrelation(datasourceUids) },
      },
      {
        ...common,
        name: "Jaeger",
        uid: datasourceUids.jaeger,
        type: "jaeger",
        url: serviceUrl(c.namespaces, "jaegerQuery", "http"),
        isDefault: false,
        jsonData: jaegerCorrelation(datasourceUids),
      },
    ],
  };
}

/** Dashboards are files: the UI may not save over them, and a dashboard removed from code disappears. */
export function buildDashboardProviders(): DashboardProvidersFile {
  return {
    apiVersion: 1,
    providers: [
      {
        name: "sigma-observability",
        orgId: 1,
        folder: "Sigma observability",
        type: "file",
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 60,
        options: { path: grafanaPaths.dashboards, foldersFromFilesStructure: false },
      },
    ],
  };
}

/** Names of the Secrets and ConfigMaps the Grafana pod reads. */
export interface GrafanaMounts {
  adminSecretName: string;
  datasourcesConfigMap: string;
  providersConfigMap: string;
  dashboardConfigMaps: { name: string; file: string }[];
  /** Present with database.kind postgres: the Secret holding host, name, user and password. */
  databaseSecretName?: string;
}

/** One credential Grafana reads from a file: the setting it fills, and the Secret key mounted as that file. */
export interface SecretFile {
  /** The setting's variable, `GF_<SECTION>_<KEY>`; Grafana reads it from `<variable>__FILE`. */
  variable: string;
  secretName: string;
  key: string;
  /** The file's name under {@link grafanaPaths.secrets}. */
  file: string;
}

/**
 * Every credential Grafana reads, as files of its Secrets. The image's entrypoint (`packaging/docker/run.sh`) sets
 * each `GF_<SECTION>_<KEY>` from the file named by `GF_<SECTION>_<KEY>__FILE` before starting Grafana, so the values
 * are neither in the pod spec nor in the environment a `kubectl exec` starts with.
 */
export function grafanaSecretFiles(c: StackConfig, m: GrafanaMounts): SecretFile[] {
  const admin = (variable: string, key: string): SecretFile => ({ variable, secretName: m.adminSecretName, key, file: key });
  const database = (variable: string, key: string, file: string): SecretFile => ({ variable, secretName: m.databaseSecretName!, key, file });
  return [
    admin("GF_SECURITY_ADMIN_PASSWORD", "admin-password"),
    // Encrypts datasource secrets in the database; every replica must use the same key, and never the default.
    admin("GF_SECURITY_SECRET_KEY", "secret-key"),
    ...(c.monitoring.grafana.database.kind === "postgres"
      ? [
          database("GF_DATABASE_HOST", "host", "database-host"),
          database("GF_DATABASE_NAME", "database", "database-name"),
          database("GF_DATABASE_USER", "username", "database-user"),
          database("GF_DATABASE_PASSWORD", "password", "database-password"),
        ]
      : []),
  ];
}

/** The Secrets of {@link grafanaSecretFiles} as one read-only volume: only the listed keys, readable by Grafana's group only. */
export function grafanaSecretsVolume(files: SecretFile[]): k8s.types.input.core.v1.Volume {
  const secretNames = [...new Set(files.map((f) => f.secretName))];
  return {
    name: "secrets",
    projected: {
      defaultMode: 0o440,
      sources: secretNames.map((name) => ({
        secret: { name, items: files.filter((f) => f.secretName === name).map((f) => ({ key: f.key, path: f.file })) },
      })),
    },
  };
}

/** Grafana's settings as `GF_<SECTION>_<KEY>` variables; credentials are files of Secrets (`__FILE`), never literals or env values. */
export function grafanaEnv(c: StackConfig, m: GrafanaMounts): k8s.types.input.core.v1.EnvVar[] {
  const g = c.monitoring.grafana;
  const plain = (name: string, value: string) => ({ name, value });
  const database =
    g.database.kind === "postgres"
      ? [
          plain("GF_DATABASE_TYPE", "postgres"),
          plain("GF_DATABASE_SSL_MODE", g.database.tls.mode),
          ...(g.database.tls.mode === "verify-full"
            ? [plain("GF_DATABASE_CA_CERT_PATH", `${grafanaPaths.databaseCa}/${g.database.tls.caBundleKey}`)]
            : []),
        ]
      : [plain("GF_DATABASE_TYPE", "sqlite3")];
  const ha =
    g.replicas > 1
      ? [
          fieldEnv("POD_IP", "status.podIP"),
          plain("GF_UNIFIED_ALERTING_HA_PEERS", `${peerServiceName(topology.grafana.id)}.${c.namespaces.monitoring}.svc.cluster.local:${grafanaGossipPort}`),
          plain("GF_UNIFIED_ALERTING_HA_LISTEN_ADDRESS", `$(POD_IP):${grafanaGossipPort}`),
          plain("GF_UNIFIED_ALERTING_HA_ADVERTISE_ADDRESS", `$(POD_IP):${grafanaGossipPort}`),
        ]
      : [];
  return [
    plain("GF_PATHS_DATA", grafanaPaths.data),
    plain("GF_PATHS_PROVISIONING", grafanaPaths.provisioning),
    // The root filesystem is read-only: log to stdout only.
    plain("GF_LOG_MODE", "console"),
    plain("GF_SERVER_ROOT_URL", `https://${c.ingress.hosts.grafana}/`),
    plain("GF_SECURITY_ADMIN_USER", "admin"),
    ...grafanaSecretFiles(c, m).map((f) => plain(`${f.variable}__FILE`, `${grafanaPaths.secrets}/${f.file}`)),
    plain("GF_SECURITY_COOKIE_SECURE", "true"),
    plain("GF_SECURITY_DISABLE_GRAVATAR", "true"),
    plain("GF_USERS_ALLOW_SIGN_UP", "false"),
    plain("GF_AUTH_ANONYMOUS_ENABLED", "false"),
    // With ingress basic-auth the browser sends its Authorization header to Grafana too; Grafana must not read it.
    ...(c.ingress.auth.mode === "basic-auth" ? [plain("GF_AUTH_BASIC_ENABLED", "false")] : []),
    // NetworkPolicy allows no Internet egress; these checks would only time out.
    plain("GF_ANALYTICS_REPORTING_ENABLED", "false"),
    plain("GF_ANALYTICS_CHECK_FOR_UPDATES", "false"),
    plain("GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES", "false"),
    ...database,
    ...ha,
  ];
}

/** The Grafana pod: writable data dir (PVC on sqlite, scratch on postgres) and /tmp; everything else read-only. */
export function grafanaPod(c: StackConfig, m: GrafanaMounts): WorkloadPod {
  const g = c.monitoring.grafana;
  const ports = [
    { name: "http", containerPort: topology.grafana.ports.http },
    ...(g.replicas > 1
      ? [
          { name: "gossip-tcp", containerPort: grafanaGossipPort, protocol: "TCP" as const },
          { name: "gossip-udp", containerPort: grafanaGossipPort, protocol: "UDP" as const },
        ]
      : []),
  ];
  const caBundle = g.database.kind === "postgres" && g.database.tls.mode === "verify-full" ? g.database.tls : undefined;
  return {
    user: grafanaUser,
    containers: [
      {
        name: "grafana",
        image: c.images.grafana,
        env: grafanaEnv(c, m),
        ports,
        resources: g.resources,
        // /api/health answers 503 while Grafana cannot reach its database (pkg/api/http_server.go, apiHealthHandler):
        // right for readiness, but as liveness one database outage would restart every replica at once. /healthz
        // answers 200 whenever the web server runs, which is all liveness should say. Database migrations run before
        // the server listens; a first start on RDS can take a while.
        probes: httpProbes("http", "/api/health", "/healthz", 300),
        volumeMounts: [
          { name: "data", mountPath: grafanaPaths.data },
          { name: "tmp", mountPath: "/tmp" },
          { name: "datasources", mountPath: `${grafanaPaths.provisioning}/datasources`, readOnly: true },
          { name: "dashboard-providers", mountPath: `${grafanaPaths.provisioning}/dashboards`, readOnly: true },
          { name: "dashboards", mountPath: grafanaPaths.dashboards, readOnly: true },
          { name: "secrets", mountPath: grafanaPaths.secrets, readOnly: true },
          ...(caBundle ? [{ name: "database-ca", mountPath: grafanaPaths.databaseCa, readOnly: true }] : []),
        ],
      },
    ],
    volumes: [
      ...(g.database.kind === "postgres" ? [scratchVolume("data", "1Gi")] : []),
      scratchVolume("tmp", "256Mi"),
      { name: "datasources", configMap: { name: m.datasourcesConfigMap } },
      { name: "dashboard-providers", configMap: { name: m.providersConfigMap } },
      {
        name: "dashboards",
        projected: { sources: m.dashboardConfigMaps.map((d) => ({ configMap: { name: d.name, items: [{ key: d.file, path: d.file }] } })) },
      },
      grafanaSecretsVolume(grafanaSecretFiles(c, m)),
      ...(caBundle ? [{ name: "database-ca", configMap: { name: caBundle.caBundleConfigMap } }] : []),
    ],
  };
}

/**
 * Grafana's workload. On postgres the replicas are interchangeable: a Deployment. On sqlite the database is a file
 * on a volume: a single-replica StatefulSet owning its claim. `checksum` rolls the pods when provisioning changes
 * (datasources are read at start only).
 */
export function grafanaWorkload(
  c: StackConfig,
  m: GrafanaMounts,
  args: { storageClassName: pulumi.Input<string>; checksum: string },
): { kind: "Deployment"; args: k8s.apps.v1.DeploymentArgs } | { kind: "StatefulSet"; args: k8s.apps.v1.StatefulSetArgs } {
  const g = c.monitoring.grafana;
  const workload = {
    id: identityAt(topology.grafana.id, c.images.grafana),
    namespace: c.namespaces.monitoring,
    pod: grafanaPod(c, m),
    checksums: { provisioning: args.checksum },
  };
  if (g.database.kind === "sqlite") {
    return {
      kind: "StatefulSet",
      args: statefulSetArgs({
        ...workload,
        replicas: 1,
        serviceName: peerServiceName(workload.id),
        claims: [{ name: "data", size: g.database.storage, storageClassName: args.storageClassName }],
      }),
    };
  }
  // Surge first: a rollout never lowers the number of ready replicas.
  return { kind: "Deployment", args: deploymentArgs({ ...workload, replicas: g.replicas, maxUnavailable: 0 }) };
}

/** What the tier exports about Grafana. */
export interface DeployedGrafana {
  adminPassword: pulumi.Output<string>;
  /** `host:port` of the RDS database, on postgres. */
  databaseEndpoint?: pulumi.Output<string>;
}

/**
 * Grafana: generated admin password and secret key, the RDS database on postgres, provisioning (datasources, dashboard
 * providers, one ConfigMap per dashboard), its peer and client Services, the workload and its PDB.
 */
export function deployGrafana(tier: string, args: { config: StackConfig; storageClassName: pulumi.Input<string> }, parent: pulumi.Resource): DeployedGrafana {
  const c = args.config;
  const g = c.monitoring.grafana;
  const id = topology.grafana.id;
  const namespace = c.namespaces.monitoring;
  const child = { parent };
  const keep = dataProtection(c, parent);
  const docs = (name: string, documents: Record<string, unknown>, renderDir = "grafana") =>
    monitoringDocuments(tier, { name, namespace, id, renderDir, documents }, parent);
  const secret = (name: string, stringData: Record<string, pulumi.Input<string>>) =>
    new k8s.core.v1.Secret(`${tier}-${name}`, { metadata: { name, namespace, labels: labelsFor(id) }, type: "Opaque", stringData }, keep);

  const adminPassword = new RandomPassword(`${tier}-grafana-admin-password`, { length: 32, special: false }, keep);
  const secretKey = new RandomPassword(`${tier}-grafana-secret-key`, { length: 40, special: false }, keep);
  const adminSecret = secret("grafana-admin", { "admin-password": adminPassword.result, "secret-key": secretKey.result });
  const db =
    g.database.kind === "postgres"
      ? deployGrafanaDatabase(`${tier}-grafana`, { db: g.database, identifier: databaseIdentifier(c.cluster), protect: protectsData(c) }, parent)
      : undefined;
  const dbSecret = db
    ? secret("grafana-database", { host: db.hostPort, database: grafanaDatabase.name, username: grafanaDatabase.username, password: db.password })
    : undefined;
  const datasources = docs("grafana-datasources", { "datasources.yaml": buildDatasources(c) });
  const providers = docs("grafana-dashboard-providers", { "dashboards.yaml": buildDashboardProviders() });
  const dashboards = Object.entries(buildDashboards(c, datasourceUids)).map(([file, dashboard]) => {
    const configMapName = objectName("grafana-dashboard", file.replace(/\.json$/, ""));
    return { name: configMapName, file, configMap: docs(configMapName, { [file]: dashboard }, "dashboards").configMap };
  });
  const mounts: GrafanaMounts = {
    adminSecretName: "grafana-admin",
    datasourcesConfigMap: "grafana-datasources",
    providersConfigMap: "grafana-dashboard-providers",
    dashboardConfigMaps: dashboards.map(({ name, file }) => ({ name, file })),
    ...(dbSecret ? { databaseSecretName: "grafana-database" } : {}),
  };

  const ports: ServicePort[] = [{ name: "http", port: topology.grafana.ports.http }];
  const gossip: ServicePort[] =
    g.replicas > 1
      ? [
          { name: "gossip-tcp", port: grafanaGossipPort, protocol: "TCP" },
          { name: "gossip-udp", port: grafanaGossipPort, protocol: "UDP" },
        ]
      : [];
  deployService(tier, { kind: "peers", id, namespace, ports: [...ports, ...gossip] }, child);
  deployService(tier, { kind: "clusterIP", id, namespace, ports, explicitType: true }, child);

  const workload = grafanaWorkload(c, mounts, { storageClassName: args.storageClassName, checksum: [datasources.checksum, providers.checksum].join(":") });
  const dependsOn = [adminSecret, datasources.configMap, providers.configMap, ...dashboards.map((d) => d.configMap), ...(dbSecret ? [dbSecret] : [])];
  if (workload.kind === "StatefulSet") new k8s.apps.v1.StatefulSet(`${tier}-grafana`, workload.args, { ...keep, dependsOn });
  else new k8s.apps.v1.Deployment(`${tier}-grafana`, workload.args, { ...child, dependsOn });
  disruptionBudget(`${tier}-grafana`, { id, namespace, replicas: g.replicas, maxUnavailable: g.maxUnavailable }, child);
  return { adminPassword: adminPassword.result, ...(db ? { databaseEndpoint: db.hostPort } : {}) };
}
