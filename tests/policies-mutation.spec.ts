import assert from "node:assert/strict";
import { type PolicyReport, type RecordedResource, formatReport, runPolicies } from "../policies/offline";
import { aws, k8s } from "../policies/tokens";
import { podSpecOf, workloadTypes } from "../policies/workloads";
import { defaultProjectDir, stackNames } from "../scripts/synth";

const renders = new Map<string, Promise<{ resources: RecordedResource[]; environment: string }>>();

/** Renders a stack once per run. The synth is loaded lazily so a half-built program fails these tests, not the run. */
function synth(stack: string): Promise<{ resources: RecordedResource[]; environment: string }> {
  if (!renders.has(stack)) {
    const { synthStack } = require("../scripts/synth") as typeof import("../scripts/synth");
    renders.set(stack, synthStack({ stack }));
  }
  return renders.get(stack)!;
}

type Json = Record<string, any>;

/** The rendered stack a mutation edits in place (a fresh deep copy each time). */
class Stack {
  constructor(readonly resources: RecordedResource[]) {}

  /** The first resource of a type matching `where`; a missing target fails the mutation loudly. */
  find(type: string | readonly string[], where: (r: RecordedResource) => boolean = () => true): RecordedResource {
    const types = typeof type === "string" ? [type] : type;
    const found = this.resources.find((r) => types.includes(r.type) && where(r));
    if (!found) {
      throw new Error(`the rendered prod stack has no ${types.join(" | ")} to mutate`);
    }
    return found;
  }

  remove(resource: RecordedResource): void {
    this.resources.splice(this.resources.indexOf(resource), 1);
  }

  /** The pod spec of the first workload of a type (optionally by name). */
  pod(type: string, name?: string): Json {
    const workload = this.find(type, (r) => name === undefined || r.inputs.metadata?.name === name);
    return podSpecOf(type, workload.inputs)!.spec;
  }

  /** Namespaces (metadata.name) that run at least one workload. */
  workloadNamespaces(): Set<string> {
    return new Set(this.resources.filter((r) => workloadTypes.includes(r.type)).map((r) => r.inputs.metadata?.namespace));
  }
}

const firstContainer = (pod: Json): Json => pod.containers[0];
const securityContext = (pod: Json): Json => (firstContainer(pod).securityContext ??= {});
const bucketOf = (s: Stack) => s.find(aws.s3Bucket).inputs.bucket as string;
const forBucket = (s: Stack, types: readonly string[]) => s.find(types, (r) => r.inputs.bucket === bucketOf(s));
const rdsInstance = (s: Stack) => s.find(aws.rdsInstance);
const logAgent = (s: Stack) => s.pod(k8s.daemonSet, "log-agent");

interface Mutation {
  name: string;
  policy: string;
  apply(stack: Stack): void;
}

/** One broken guarantee each, applied to the rendered prod stack, with the policy expected to catch it. */
const mutations: Mutation[] = [
  {
    name: "drop runAsNonRoot from a Deployment (pod and container)",
    policy: "k8s-run-as-non-root",
    apply: (s) => {
      const pod = s.pod(k8s.deployment);
      delete pod.securityContext?.runAsNonRoot;
      delete securityContext(pod).runAsNonRoot;
    },
  },
  { name: "run a StatefulSet container as UID 0", policy: "k8s-run-as-non-root", apply: (s) => (securityContext(s.pod(k8s.statefulSet)).runAsUser = 0) },
  { name: "make a DaemonSet container privileged", policy: "k8s-no-privileged-containers", apply: (s) => (securityContext(s.pod(k8s.daemonSet)).privileged = true) },
  { name: "allow privilege escalation", policy: "k8s-no-privilege-escalation", apply: (s) => (securityContext(s.pod(k8s.deployment)).allowPrivilegeEscalation = true) },
  { name: "stop dropping ALL capabilities", policy: "k8s-drop-all-capabilities", apply: (s) => (securityContext(s.pod(k8s.statefulSet)).capabilities = { drop: [] }) },
  { name: "add CAP_SYS_ADMIN", policy: "k8s-drop-all-capabilities", apply: (s) => (securityContext(s.pod(k8s.deployment)).capabilities.add = ["SYS_ADMIN"]) },
  { name: "writable root filesystem", policy: "k8s-read-only-root-filesystem", apply: (s) => (securityContext(s.pod(k8s.deployment)).readOnlyRootFilesystem = false) },
  { name: "seccomp Unconfined", policy: "k8s-seccomp-runtime-default", apply: (s) => (securityContext(s.pod(k8s.statefulSet)).seccompProfile = { type: "Unconfined" }) },
  { name: "hostNetwork on the log agent", policy: "k8s-no-host-namespaces", apply: (s) => (logAgent(s).hostNetwork = true) },
  {
    name: "mount the Docker socket into a Deployment",
    policy: "k8s-host-path-allow-list",
    apply: (s) => {
      const pod = s.pod(k8s.deployment);
      (pod.volumes ??= []).push({ name: "docker", hostPath: { path: "/var/run/docker.sock" } });
      (firstContainer(pod).volumeMounts ??= []).push({ name: "docker", mountPath: "/var/run/docker.sock", readOnly: true });
    },
  },
  {
    name: "mount the log agent's host path writable",
    policy: "k8s-host-path-allow-list",
    apply: (s) => {
      const pod = logAgent(s);
      const hostVolumes = (pod.volumes as Json[]).filter((v) => v.hostPath).map((v) => v.name);
      const mounts = [...(pod.initContainers ?? []), ...pod.containers].flatMap((c: Json) => c.volumeMounts ?? []);
      mounts.filter((m: Json) => hostVolumes.includes(m.name)).forEach((m: Json) => (m.readOnly = false));
    },
  },
  { name: "remove a memory limit", policy: "k8s-resource-requests-and-limits", apply: (s) => delete firstContainer(s.pod(k8s.statefulSet)).resources.limits.memory },
  { name: "remove a CPU request", policy: "k8s-resource-requests-and-limits", apply: (s) => delete firstContainer(s.pod(k8s.daemonSet)).resources.requests.cpu },
  { name: "set a latest tag", policy: "k8s-images-pinned", apply: (s) => (firstContainer(s.pod(k8s.deployment)).image = "grafana/grafana:latest") },
  { name: "drop the image tag", policy: "k8s-images-pinned", apply: (s) => (firstContainer(s.pod(k8s.statefulSet)).image = "grafana/loki") },
  { name: "remove Ingress TLS", policy: "k8s-ingress-tls", apply: (s) => delete s.find(k8s.ingress).inputs.spec.tls },
  {
    name: "route an extra host the certificate does not cover",
    policy: "k8s-ingress-tls",
    apply: (s) => s.find(k8s.ingress).inputs.spec.rules.push({ host: "debug.example.org", http: { paths: [] } }),
  },
  { name: "expose a Service as LoadBalancer", policy: "k8s-no-external-services", apply: (s) => (s.find(k8s.service).inputs.spec.type = "LoadBalancer") },
  {
    name: "lower a namespace's Pod Security to baseline",
    policy: "k8s-namespace-pod-security",
    apply: (s) => (s.find(k8s.namespace, (r) => r.inputs.metadata.name !== "log-agents").inputs.metadata.labels["pod-security.kubernetes.io/enforce"] = "baseline"),
  },
  {
    name: "put a password in a ConfigMap",
    policy: "k8s-configmap-no-credentials",
    apply: (s) => {
      const data = s.find(k8s.configMap).inputs.data;
      const key = Object.keys(data)[0];
      data[key] = `${data[key]}\n# added by hand\nadmin_password: hunter2\n`;
    },
  },
  {
    name: "open a NetworkPolicy-less namespace (drop its default deny)",
    policy: "k8s-namespace-default-deny",
    apply: (s) => {
      const namespaces = s.workloadNamespaces();
      s.remove(s.find(k8s.networkPolicy, (r) => namespaces.has(r.inputs.metadata.namespace) && r.inputs.metadata.name === "default-deny"));
    },
  },
  { name: "drop the PodDisruptionBudget of a replicated workload", policy: "k8s-pdb-for-replicated-workloads", apply: (s) => s.remove(s.find(k8s.podDisruptionBudget)) },
  {
    name: "put a StatefulSet's volumes on the cluster default StorageClass",
    policy: "k8s-pvc-encrypted-storage-class",
    apply: (s) => delete s.find(k8s.statefulSet, (r) => (r.inputs.spec.volumeClaimTemplates ?? []).length > 0).inputs.spec.volumeClaimTemplates[0].spec.storageClassName,
  },
  {
    name: "turn encryption off in the StorageClass",
    policy: "k8s-pvc-encrypted-storage-class",
    apply: (s) => (s.find(k8s.storageClass).inputs.parameters.encrypted = "false"),
  },
  { name: "remove S3 encryption", policy: "aws-s3-kms-encryption", apply: (s) => s.remove(forBucket(s, aws.s3Encryption)) },
  {
    name: "S3 encryption with AES256 instead of KMS",
    policy: "aws-s3-kms-encryption",
    apply: (s) => (forBucket(s, aws.s3Encryption).inputs.rules[0].applyServerSideEncryptionByDefault = { sseAlgorithm: "AES256" }),
  },
  { name: "suspend S3 versioning", policy: "aws-s3-versioning", apply: (s) => (forBucket(s, aws.s3Versioning).inputs.versioningConfiguration.status = "Suspended") },
  { name: "allow public bucket policies", policy: "aws-s3-public-access-block", apply: (s) => (forBucket(s, aws.s3PublicAccessBlock).inputs.blockPublicPolicy = false) },
  {
    name: "drop the bucket policy's TLS-only statement",
    policy: "aws-s3-deny-insecure-transport",
    apply: (s) => {
      const policy = forBucket(s, aws.s3BucketPolicy).inputs;
      const document = typeof policy.policy === "string" ? JSON.parse(policy.policy) : policy.policy;
      document.Statement = [document.Statement].flat().filter((st: Json) => st.Effect !== "Deny");
      policy.policy = JSON.stringify(document);
    },
  },
  { name: "unencrypted RDS storage", policy: "aws-rds-storage-encrypted", apply: (s) => (rdsInstance(s).inputs.storageEncrypted = false) },
  { name: "publicly accessible RDS", policy: "aws-rds-not-public", apply: (s) => (rdsInstance(s).inputs.publiclyAccessible = true) },
  { name: "RDS without deletion protection", policy: "aws-rds-deletion-protection", apply: (s) => (rdsInstance(s).inputs.deletionProtection = false) },
  {
    name: "RDS accepting plaintext connections",
    policy: "aws-rds-force-tls",
    apply: (s) => {
      const group = s.find(aws.rdsParameterGroup, (r) => r.inputs.name === rdsInstance(s).inputs.parameterGroupName);
      group.inputs.parameters.find((p: Json) => p.name === "rds.force_ssl").value = "0";
    },
  },
  {
    name: "OpenSearch accepting TLS 1.0",
    policy: "aws-opensearch-encryption",
    apply: (s) => (s.find(aws.opensearchDomain).inputs.domainEndpointOptions.tlsSecurityPolicy = "Policy-Min-TLS-1-0-2019-07"),
  },
  { name: "OpenSearch without node-to-node encryption", policy: "aws-opensearch-encryption", apply: (s) => (s.find(aws.opensearchDomain).inputs.nodeToNodeEncryption = { enabled: false }) },
  { name: "KMS key without rotation", policy: "aws-kms-key-rotation", apply: (s) => (s.find(aws.kmsKey).inputs.enableKeyRotation = false) },
  {
    name: "grant * on * in an IAM policy",
    policy: "aws-iam-no-wildcard-admin",
    apply: (s) => {
      const iam = s.find([aws.iamPolicy, aws.iamRolePolicy]).inputs;
      const document = typeof iam.policy === "string" ? JSON.parse(iam.policy) : iam.policy;
      document.Statement = [...[document.Statement].flat(), { Effect: "Allow", Action: "*", Resource: "*" }];
      iam.policy = JSON.stringify(document);
    },
  },
  {
    name: "open the OpenSearch domain policy to everyone",
    policy: "aws-no-public-resource-policy",
    apply: (s) => {
      const domainPolicy = s.find(aws.opensearchDomainPolicy).inputs;
      const document = JSON.parse(domainPolicy.accessPolicies);
      document.Statement = [document.Statement].flat().map((st: Json) => ({ ...st, Principal: { AWS: "*" } }));
      domainPolicy.accessPolicies = JSON.stringify(document);
    },
  },
  {
    name: "grant a ClusterRole every verb",
    policy: "k8s-no-wildcard-rbac",
    apply: (s) => (s.find(k8s.clusterRole).inputs.rules[0].verbs = ["*"]),
  },
  {
    name: "bind cluster-admin",
    policy: "k8s-no-wildcard-rbac",
    apply: (s) => (s.find(k8s.clusterRoleBinding).inputs.roleRef.name = "cluster-admin"),
  },
  { name: "unprotect the log bucket in prod", policy: "stateful-resources-protected", apply: (s) => (s.find(aws.s3Bucket).options.protect = false) },
  {
    name: "unprotect a namespace that holds volume claims",
    policy: "stateful-resources-protected",
    apply: (s) => {
      const claimNamespace = s.find(k8s.statefulSet, (r) => (r.inputs.spec.volumeClaimTemplates ?? []).length > 0).inputs.metadata.namespace;
      s.find(k8s.namespace, (r) => r.inputs.metadata.name === claimNamespace).options.protect = false;
    },
  },
  {
    name: "delete a StatefulSet's claims with it",
    policy: "stateful-resources-protected",
    apply: (s) => (s.find(k8s.statefulSet, (r) => (r.inputs.spec.volumeClaimTemplates ?? []).length > 0).inputs.spec.persistentVolumeClaimRetentionPolicy = { whenDeleted: "Delete" }),
  },
  { name: "leave service account token mounting implicit", policy: "k8s-explicit-service-account-token", apply: (s) => delete s.pod(k8s.deployment).automountServiceAccountToken },
  { name: "mount a token where nothing calls the API", policy: "k8s-api-token-only-for-api-clients", apply: (s) => (s.pod(k8s.deployment).automountServiceAccountToken = true) },
  {
    name: "add an allow-all NetworkPolicy beside default-deny",
    policy: "k8s-network-policy-not-open",
    apply: (s) => {
      const deny = s.find(k8s.networkPolicy, (r) => r.inputs.metadata.name === "default-deny");
      const allowAll = structuredClone(deny);
      allowAll.name = "allow-all";
      allowAll.inputs.metadata.name = "allow-all";
      allowAll.inputs.spec = { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{}], egress: [{}] };
      s.resources.push(allowAll);
    },
  },
  {
    name: "open a workload's ingress to every namespace",
    policy: "k8s-network-policy-not-open",
    apply: (s) => {
      const policy = s.find(k8s.networkPolicy, (r) => (r.inputs.spec.ingress ?? []).length > 0);
      policy.inputs.spec.ingress[0].from = [{ namespaceSelector: {} }];
    },
  },
];

function countsByPolicy(report: PolicyReport): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of report.violations) counts.set(v.policy, (counts.get(v.policy) ?? 0) + 1);
  return counts;
}

describe("policies: the real stacks", () => {
  for (const stackName of stackNames(defaultProjectDir)) {
    it(`${stackName} renders with zero mandatory violations, every workload checked`, async () => {
      const { resources, environment } = await synth(stackName);
      const report = await runPolicies(resources, { environment });
      console.log(formatReport(report));
      assert.deepEqual(report.violations.filter((v) => v.enforcementLevel === "mandatory"), []);
      const workloads = resources.filter((r) => workloadTypes.includes(r.type)).length;
      assert.equal(report.policies.find((p) => p.name === "k8s-run-as-non-root")?.applied, workloads);
    });
  }
});

describe("policies: mutation test on the rendered prod stack", () => {
  let rendered: { resources: RecordedResource[]; environment: string };
  let baseline: Map<string, number>;

  before(async () => {
    rendered = await synth("prod");
    baseline = countsByPolicy(await runPolicies(rendered.resources, { environment: rendered.environment }));
  });

  it(`catches each of ${mutations.length} broken guarantees with the expected policy`, async () => {
    assert.ok(mutations.length >= 25);
    const rows: Array<{ mutation: string; policy: string; caught: string }> = [];
    for (const mutation of mutations) {
      const stack = new Stack(structuredClone(rendered.resources));
      let caught: string;
      try {
        mutation.apply(stack);
        const counts = countsByPolicy(await runPolicies(stack.resources, { environment: rendered.environment }));
        caught = (counts.get(mutation.policy) ?? 0) > (baseline.get(mutation.policy) ?? 0) ? "yes" : "NO";
      } catch (e) {
        caught = `NO (${(e as Error).message})`;
      }
      rows.push({ mutation: mutation.name, policy: mutation.policy, caught });
    }
    const total = rows.length;
    const caughtCount = rows.filter((r) => r.caught === "yes").length;
    const widths = [Math.max(...rows.map((r) => r.mutation.length)), Math.max(...rows.map((r) => r.policy.length))];
    console.log(["mutation".padEnd(widths[0]), "expected policy".padEnd(widths[1]), "caught"].join("  "));
    for (const r of rows) console.log([r.mutation.padEnd(widths[0]), r.policy.padEnd(widths[1]), r.caught].join("  "));
    console.log(`caught ${caughtCount}/${total}`);
    assert.deepEqual(rows.filter((r) => r.caught !== "yes"), []);
  });
});
