import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config";
import { documentsConfigMap } from "../k8s/documents";
import { identityAt, labelsFor, metadataFor, objectName } from "../k8s/labels";
import { fieldEnv, goMemLimitEnv, httpProbes } from "../k8s/pod";
import { deployService } from "../k8s/service";
import { daemonSetArgs } from "../k8s/workload";
import { topology } from "../topology";
import { agentEnv, agentStateDir, logAgentConfig, podLogsDir } from "./agent-config";

/** The collector-contrib image's own non-root user. */
export const agentUser = { uid: 10001, gid: 10001 } as const;

/**
 * containerd writes pod log files as root:root with mode 0640, so a reader needs uid 0, CAP_DAC_READ_SEARCH (which
 * bypasses read checks on every file) or membership of group 0. The agent takes the narrowest: it stays non-root with
 * every capability dropped and gets group 0 only as a supplemental group. What that group can read in this pod is
 * the read-only `/var/log/pods` mount and its own image.
 */
export const nodeLogReaderGroups = [0];

/** Kubernetes API reads k8sattributes needs: pods and namespaces, and replicasets to name a pod's Deployment. */
export const agentRbacRules: k8s.types.input.rbac.v1.PolicyRule[] = [
  { apiGroups: [""], resources: ["pods", "namespaces"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["get", "list", "watch"] },
];

/**
 * The log agent: an OpenTelemetry Collector DaemonSet, alone in the namespace with the relaxed Pod Security level,
 * reading `/var/log/pods` read-only through its only hostPath and shipping to Loki's OTLP endpoint. `tier` is the
 * logging tier's name, the prefix of every child's logical name.
 */
export function deployLogAgent(tier: string, c: StackConfig, parent: pulumi.Resource) {
  const name = `${tier}-agent`;
  const e = topology.logAgent;
  const id = identityAt(e.id, c.images.collector);
  const ns = c.namespaces.logAgents;
  const opts = { parent };
  const clusterScoped = objectName(ns, id.instance);

  const { configMap, checksum } = documentsConfigMap(
    `${name}-config`,
    { name: objectName(id.instance, "config"), namespace: ns, labels: labelsFor(id), renderDir: "", documents: { "otel-log-agent.yaml": logAgentConfig(c) } },
    opts,
  );
  const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: metadataFor(id, ns), automountServiceAccountToken: false }, opts);
  const role = new k8s.rbac.v1.ClusterRole(`${name}-role`, { metadata: { name: clusterScoped, labels: labelsFor(id) }, rules: agentRbacRules }, opts);
  new k8s.rbac.v1.ClusterRoleBinding(
    `${name}-role-binding`,
    {
      metadata: { name: clusterScoped, labels: labelsFor(id) },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
      subjects: [{ kind: "ServiceAccount", name: serviceAccount.metadata.name, namespace: ns }],
    },
    opts,
  );
  deployService(
    tier,
    { kind: "headless", id, namespace: ns, ports: [{ name: "metrics", port: e.ports.metrics }] },
    { ...opts, aliases: [{ name: `${name}-service` }] },
  );

  const daemonSet = new k8s.apps.v1.DaemonSet(
    `${name}-daemonset`,
    daemonSetArgs({
      id,
      namespace: ns,
      checksums: { config: checksum },
      pod: {
        serviceAccountName: id.instance,
        needsApiToken: true,
        user: agentUser,
        supplementalGroups: nodeLogReaderGroups,
        // Logs of every node, including tainted ones.
        tolerations: [{ operator: "Exists" }],
        initContainers: [
          {
            name: "state-owner",
            image: c.images.busybox,
            command: ["chown", `${agentUser.uid}:${agentUser.gid}`, agentStateDir],
            resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "32Mi" } },
            volumeMounts: [{ name: "state", mountPath: agentStateDir }],
            chownsAsRoot: true,
          },
        ],
        containers: [
          {
            name: "otel-collector",
            image: c.images.collector,
            args: ["--config=/conf/otel-log-agent.yaml"],
            env: [
              fieldEnv(agentEnv.nodeName, "spec.nodeName"),
              fieldEnv(agentEnv.podIp, "status.podIP"),
              goMemLimitEnv(c.logging.agent.resources),
            ],
            ports: [
              { name: "metrics", containerPort: e.ports.metrics },
              { name: "health", containerPort: e.ports.health },
            ],
            resources: c.logging.agent.resources,
            volumeMounts: [
              { name: "config", mountPath: "/conf", readOnly: true },
              { name: "pod-logs", mountPath: podLogsDir, readOnly: true },
              { name: "state", mountPath: agentStateDir },
            ],
            probes: httpProbes("health", "/"),
          },
        ],
        volumes: [
          { name: "config", configMap: { name: configMap.metadata.name } },
          { name: "pod-logs", hostPath: { path: podLogsDir, type: "Directory" } },
          // One writer per node: a DaemonSet rolls with maxSurge 0, so the old agent has exited before the new one opens it.
          { name: "state", hostPath: { path: c.logging.agent.stateHostPath, type: "DirectoryOrCreate" } },
        ],
      },
    }),
    { parent, dependsOn: [serviceAccount] },
  );
  return { daemonSet, id };
}
