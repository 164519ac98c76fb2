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
    const roles = Object.keys(c.namespaces) as NamespaceRole[];

    const namespaces = {} as Record<NamespaceRole, pulumi.Output<string>>;
    for (const role of roles) {
      const ns = new k8s.core.v1.Namespace(
        `${name}-ns-${role}`,
        {
          metadata: {
            name: c.namespaces[role],
            labels: { ...podSecurityLabels(role), "app.kubernetes.io/part-of": partOf, "observability.sigma.dev/tier": role },
          },
        },
        dataProtection(c, this),
      );
      namespaces[role] = ns.metadata.name;
      this.baselinePolicies(`${name}-${role}`, c, ns);
    }

    if (!c.storageClass.create) {
      this.namespaces = namespaces;
      this.storageClassName = pulumi.output(c.storageClass.name);
      this.registerOutputs({ namespaces, storageClassName: this.storageClassName });
      return;
    }
    const storageClass = new k8s.storage.v1.StorageClass(
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
      dataProtection(c, this),
    );

    this.namespaces = namespaces;
    this.storageClassName = storageClass.metadata.name;
    this.registerOutputs({ namespaces, storageClassName: this.storageClassName });
  }

  private baselinePolicies(prefix: string, c: StackConfig, ns: k8s.core.v1.Namespace) {
    const namespace = ns.metadata.name;
    new k8s.networking.v1.NetworkPolicy(
      `${prefix}-default-deny`,
      {
        metadata: { name: "default-deny", namespace },
        spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
      },
      { parent: this },
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
      { parent: this },
    );
  }
}
