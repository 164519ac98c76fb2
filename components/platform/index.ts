import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config";
import { labelsFor, partOf } from "../k8s/labels";
import { podsIn, tcp, udp } from "../k8s/network";
import { dataProtection } from "../k8s/protection";

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

/** The namespaces of the stack, by role. */
export type NamespaceRole = keyof StackConfig["namespaces"];

/**
 * Pod Security Admission labels. `restricted` is enforced everywhere except the log agents' namespace: its one
 * DaemonSet reads node log files through hostPath, which both `baseline` and `restricted` forbid, so it enforces
 * `privileged` and audits/warns at `restricted` so anything else that lands there is reported.
 */
export function podSecurityLabels(role: NamespaceRole): Record<string, string> {
  const enforce: PodSecurityLevel = role === "logAgents" ? "privileged" : "restricted";
  return {
    "pod-security.kubernetes.io/enforce": enforce,
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/audit-version": "latest",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/warn-version": "latest",
  };
}

/** StorageClass parameters of the EBS CSI driver for encrypted gp3 volumes. */
export function storageClassParameters(c: StackConfig["storageClass"]): Record<string, string> {
  return {
    type: "gp3",
    encrypted: "true",
    iops: String(c.iops),
    throughput: String(c.throughputMiBps),
    "csi.storage.k8s.io/fstype": "ext4",
    ...(c.kmsKeyArn ? { kmsKeyId: c.kmsKeyArn } : {}),
  };
}

export interface PlatformArgs {
  config: StackConfig;
}

/** One namespace of the stack, labelled with its Pod Security level and tier, protected like the data it holds. */
function deployNamespace(name: string, c: StackConfig, role: NamespaceRole, parent: pulumi.Resource): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(
    `${name}-ns-${role}`,
    {
      metadata: {
        name: c.namespaces[role],
        labels: { ...podSecurityLabels(role), "app.kubernetes.io/part-of": partOf, "observability.sigma.dev/tier": role },
      },
    },
    dataProtection(c, parent),
  );
}

/** A namespace's baseline: deny all ingress and egress, then allow DNS to the cluster's resolver. */
function deployBaselinePolicies(prefix: string, c: StackConfig, namespace: pulumi.Input<string>, parent: pulumi.Resource): void {
  new k8s.networking.v1.NetworkPolicy(
    `${prefix}-default-deny`,
    {
      metadata: { name: "default-deny", namespace },
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    },
    { parent },
  );
  new k8s.networking.v1.NetworkPolicy(
    `${prefix}-allow-dns`,
    {
      metadata: { name: "allow-dns-egress", namespace },
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [{ to: [podsIn(c.network.dns.namespace, c.network.dns.podLabels)], ports: [...udp(53), ...tcp(53)] }],
      },
    },
    { parent },
  );
}

/** The encrypted gp3 StorageClass every claim of the stack uses; its volumes outlive their claims (`Retain`). */
function deployStorageClass(name: string, c: StackConfig, parent: pulumi.Resource): k8s.storage.v1.StorageClass {
  return new k8s.storage.v1.StorageClass(
    `${name}-storage-class`,
    {
      metadata: {
        name: c.storageClass.name,
        labels: labelsFor({ app: "ebs-gp3", component: "storage", instance: c.storageClass.name }),
      },
      provisioner: "ebs.csi.aws.com",
      parameters: storageClassParameters(c.storageClass),
      reclaimPolicy: "Retain",
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
    },
    dataProtection(c, parent),
  );
}

/**
 * The ground every tier stands on: its namespaces with Pod Security Admission labels, the encrypted StorageClass
 * every PersistentVolumeClaim uses, and per namespace a default-deny NetworkPolicy plus DNS egress. Each workload then
 * opens exactly the flows it needs.
 */
export class Platform extends pulumi.ComponentResource {
  readonly namespaces: Record<NamespaceRole, pulumi.Output<string>>;
  readonly storageClassName: pulumi.Output<string>;

  constructor(name: string, args: PlatformArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sigma:observability:Platform", name, {}, opts);
    const c = args.config;

    const namespaces = {} as Record<NamespaceRole, pulumi.Output<string>>;
    for (const role of Object.keys(c.namespaces) as NamespaceRole[]) {
      namespaces[role] = deployNamespace(name, c, role, this).metadata.name;
      deployBaselinePolicies(`${name}-${role}`, c, namespaces[role], this);
    }
    this.namespaces = namespaces;
    this.storageClassName = c.storageClass.create ? deployStorageClass(name, c, this).metadata.name : pulumi.output(c.storageClass.name);
    this.registerOutputs({ namespaces, storageClassName: this.storageClassName });
  }
}
