import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config";
import { documentsConfigMap } from "../k8s/documents";
import { type AppIdentity, identityAt, labelsFor, metadataFor, peerServiceName } from "../k8s/labels";
import { httpProbes, scratchVolume } from "../k8s/pod";
import { deployService } from "../k8s/service";
import { disruptionBudget, statefulSetArgs } from "../k8s/workload";
import { topology } from "../topology";
import { kmsKeyEnv, lokiDataDir, lokiServiceAccountName } from "./identity";
import { lokiConfig, lokiStore } from "./loki-config";

/** The grafana/loki image runs as this user and group. */
export const lokiUser = { uid: 10001, gid: 10001 } as const;

/** Long enough for an ingester to flush its chunks to the object store on shutdown. */
const lokiTerminationSeconds = 300;

export interface LokiArgs {
  /** Loki's store follows from it (see {@link lokiStore}). */
  config: StackConfig;
  storageClassName: pulumi.Input<string>;
  /** IRSA role and KMS key of the archive; absent with the filesystem store. */
  aws?: { roleArn: pulumi.Input<string>; kmsKeyArn: pulumi.Input<string> };
}

/** Loki's identity, with the version of the configured image. */
export function lokiIdentity(c: StackConfig): AppIdentity {
  return identityAt(topology.loki.id, c.images.loki);
}

/**
 * Loki as one monolithic StatefulSet (`-target=all`): replicas join a memberlist ring over its peer Service and
 * keep every stream on `replicationFactor` of them; each has a PVC for its WAL, TSDB index and compactor markers.
 * `tier` is the logging tier's name, the prefix of every child's logical name.
 */
export function deployLoki(tier: string, args: LokiArgs, parent: pulumi.Resource) {
  const name = `${tier}-loki`;
  const c = args.config;
  const l = c.logging.loki;
  const ns = c.namespaces.logging;
  const id = lokiIdentity(c);
  const opts = { parent };

  const { configMap, checksum } = documentsConfigMap(
    `${name}-config`,
    { name: "loki-config", namespace: ns, labels: labelsFor(id), renderDir: "", documents: { "loki.yaml": lokiConfig(c, lokiStore(c)) } },
    opts,
  );

  const serviceAccount = new k8s.core.v1.ServiceAccount(
    `${name}-sa`,
    {
      metadata: {
        ...metadataFor(id, ns, lokiServiceAccountName),
        ...(args.aws ? { annotations: { "eks.amazonaws.com/role-arn": args.aws.roleArn } } : {}),
      },
      automountServiceAccountToken: false,
    },
    opts,
  );

  const ports = topology.loki.ports;
  deployService(
    tier,
    {
      kind: "clusterIP",
      id,
      namespace: ns,
      ports: [
        { name: "http", port: ports.http },
        { name: "grpc", port: ports.grpc },
      ],
    },
    { ...opts, aliases: [{ name: `${name}-service` }] },
  );
  // Replicas gossip before they are ready; readiness itself waits for the ring.
  deployService(
    tier,
    { kind: "peers", id, namespace: ns, ports: [{ name: "memberlist", port: ports.memberlist }] },
    opts,
  );

  const statefulSet = new k8s.apps.v1.StatefulSet(
    `${name}-statefulset`,
    statefulSetArgs({
      id,
      namespace: ns,
      replicas: l.replicas,
      serviceName: peerServiceName(id),
      checksums: { config: checksum },
      pod: {
        serviceAccountName: lokiServiceAccountName,
        // IRSA's web identity token is a projected volume the EKS webhook adds; Loki never calls the Kubernetes API.
        needsApiToken: false,
        user: lokiUser,
        terminationGracePeriodSeconds: lokiTerminationSeconds,
        containers: [
          {
            name: "loki",
            image: c.images.loki,
            args: ["-config.file=/etc/loki/loki.yaml", "-target=all", "-config.expand-env=true"],
            ...(args.aws ? { env: [{ name: kmsKeyEnv, value: args.aws.kmsKeyArn }] } : {}),
            ports: [
              { name: "http", containerPort: ports.http },
              { name: "grpc", containerPort: ports.grpc },
              { name: "memberlist", containerPort: ports.memberlist },
            ],
            resources: l.resources,
            volumeMounts: [
              { name: "config", mountPath: "/etc/loki", readOnly: true },
              { name: "data", mountPath: lokiDataDir },
              { name: "tmp", mountPath: "/tmp" },
            ],
            // WAL replay after a crash can take minutes; readiness also waits for the ring.
            probes: httpProbes("http", "/ready", "/loki/api/v1/status/buildinfo", 600),
          },
        ],
        volumes: [{ name: "config", configMap: { name: configMap.metadata.name } }, scratchVolume("tmp", "1Gi")],
      },
      claims: [{ name: "data", size: l.storage, storageClassName: args.storageClassName }],
    }),
    { parent, dependsOn: [serviceAccount] },
  );

  disruptionBudget(`${name}-pdb`, { id, namespace: ns, replicas: l.replicas, maxUnavailable: l.maxUnavailable }, opts);
  return { statefulSet, id };
}
