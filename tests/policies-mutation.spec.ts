import assert from "node:assert/strict";
import { type PolicyReport, type RecordedResource, formatReport, runPolicies } from "../policies/offline";
import { aws, k8s } from "../policies/tokens";
import { podSpecOf, workloadTypes } from "../policies/workloads";
import { defaultProjectDir, stackNames } from "../scripts/synth";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { type AnalyzerHost, analyzeRequest, stackResource, startAnalyzerHost } from "./support/analyzer-host";
import { recorded } from "./support/policy-fixtures";

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

  /** Adds a resource as the program would have registered it (a hand-edited program adding one). */
  add(type: string, name: string, inputs: Json): RecordedResource {
    const resource = recorded(type, name, inputs);
    this.resources.push(resource);
    return resource;
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
  ...escapeMutations(),
];

/** A hardened pod spec of the rendered stack, copied, with one change: the shape a hand-written Patch or Pod takes. */
function podFrom(s: Stack, type: string, change: (pod: Json) => void): Json {
  const pod = structuredClone(s.pod(type));
  change(pod);
  return pod;
}

const workloadMeta = (s: Stack, type: string) => structuredClone(s.find(type).inputs.metadata);
const iamDocument = (statement: Json) => JSON.stringify({ Version: "2012-10-17", Statement: [statement] });
const lokiRole = (s: Stack) => s.find(aws.iamRole, (r) => r.name.includes("loki"));
const lifecycle = (s: Stack) => s.find(aws.s3Lifecycle).inputs;
const clusterRole = (s: Stack, name: string) => s.find(k8s.clusterRole, (r) => r.inputs.metadata.name === name).inputs;

/**
 * The escape classes of issue 15, several shapes each: IAM through other resource types, pod specs in Patch, List and
 * bare Pod types, credentials inside structured documents, RBAC broader than each role needs, and S3 lifecycles that
 * expire logs before the stack's retention.
 */
function escapeMutations(): Mutation[] {
  const admin = "arn:aws:iam::aws:policy/AdministratorAccess";
  return [
    // IAM by another door
    {
      name: "attach AdministratorAccess with a RolePolicyAttachment",
      policy: "aws-iam-no-broad-managed-policies",
      apply: (s) => s.add(aws.iamRolePolicyAttachment, "loki-admin", { role: lokiRole(s).inputs.name, policyArn: admin }),
    },
    { name: "list IAMFullAccess in a Role's managedPolicyArns", policy: "aws-iam-no-broad-managed-policies", apply: (s) => (lokiRole(s).inputs.managedPolicyArns = ["arn:aws:iam::aws:policy/IAMFullAccess"]) },
    {
      name: "attach PowerUserAccess to a role and a user with a PolicyAttachment",
      policy: "aws-iam-no-broad-managed-policies",
      apply: (s) => s.add(aws.iamPolicyAttachment, "power", { policyArn: "arn:aws:iam::aws:policy/PowerUserAccess", roles: [lokiRole(s).inputs.name], users: ["ci"] }),
    },
    {
      name: "pin AmazonS3FullAccess with RolePolicyAttachmentsExclusive",
      policy: "aws-iam-no-broad-managed-policies",
      apply: (s) => s.add(aws.iamRolePolicyAttachmentsExclusive, "loki-exclusive", { roleName: lokiRole(s).inputs.name, policyArns: ["arn:aws:iam::aws:policy/AmazonS3FullAccess"] }),
    },
    {
      name: "a standalone Policy granting s3:* on the bucket",
      policy: "aws-iam-least-privilege",
      apply: (s) => s.add(aws.iamPolicy, "loki-s3-all", { name: "loki-s3-all", policy: iamDocument({ Effect: "Allow", Action: "s3:*", Resource: `arn:aws:s3:::${bucketOf(s)}/*` }) }),
    },
    {
      name: "iam:PassRole on every role in a RolePolicy",
      policy: "aws-iam-least-privilege",
      apply: (s) => s.add(aws.iamRolePolicy, "loki-pass", { role: lokiRole(s).inputs.name, policy: iamDocument({ Effect: "Allow", Action: "iam:PassRole", Resource: "*" }) }),
    },
    {
      name: "*:* on * in a UserPolicy",
      policy: "aws-iam-no-wildcard-admin",
      apply: (s) => s.add(aws.iamUserPolicy, "ci-admin", { user: "ci", policy: iamDocument({ Effect: "Allow", Action: "*:*", Resource: "*" }) }),
    },
    {
      name: "NotAction in a Role's inline policy",
      policy: "aws-iam-no-wildcard-admin",
      apply: (s) => (lokiRole(s).inputs.inlinePolicies = [{ name: "all-but-iam", policy: iamDocument({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }) }]),
    },
    {
      name: "a GroupPolicy object document with iam:* on a role ARN",
      policy: "aws-iam-least-privilege",
      apply: (s) => s.add(aws.iamGroupPolicy, "ops", { group: "ops", policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["iam:*"], Resource: "arn:aws:iam::123456789012:role/x" }] } }),
    },
    {
      name: "let anyone assume the Loki role",
      policy: "aws-iam-least-privilege",
      apply: (s) => (lokiRole(s).inputs.assumeRolePolicy = iamDocument({ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" })),
    },
    // Kubernetes *Patch, List and bare Pod types
    {
      name: "a DeploymentPatch that makes a container privileged",
      policy: "k8s-no-privileged-containers",
      apply: (s) =>
        s.add(k8s.deployment + "Patch", "grafana-patch", {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: workloadMeta(s, k8s.deployment),
          spec: { template: { spec: podFrom(s, k8s.deployment, (p) => (securityContext(p).privileged = true)) } },
        }),
    },
    {
      name: "a StatefulSetPatch with hostNetwork",
      policy: "k8s-no-host-namespaces",
      apply: (s) =>
        s.add(k8s.statefulSet + "Patch", "sts-patch", { kind: "StatefulSet", metadata: workloadMeta(s, k8s.statefulSet), spec: { template: { spec: { hostNetwork: true } } } }),
    },
    {
      name: "a DaemonSetPatch that mounts the Docker socket",
      policy: "k8s-host-path-allow-list",
      apply: (s) =>
        s.add(k8s.daemonSet + "Patch", "ds-patch", {
          kind: "DaemonSet",
          metadata: workloadMeta(s, k8s.daemonSet),
          spec: { template: { spec: { volumes: [{ name: "docker", hostPath: { path: "/var/run/docker.sock" } }] } } },
        }),
    },
    {
      name: "a CronJobPatch that runs a :latest image",
      policy: "k8s-images-pinned",
      apply: (s) =>
        s.add(k8s.cronJob + "Patch", "cron-patch", {
          kind: "CronJob",
          metadata: workloadMeta(s, k8s.cronJob),
          spec: { jobTemplate: { spec: { template: { spec: podFrom(s, k8s.cronJob, (p) => (firstContainer(p).image = "busybox:latest")) } } } },
        }),
    },
    {
      name: "a bare Pod running as root",
      policy: "k8s-run-as-non-root",
      apply: (s) =>
        s.add(k8s.pod, "debug", {
          kind: "Pod",
          metadata: { name: "debug", namespace: "monitoring" },
          spec: podFrom(s, k8s.deployment, (p) => {
            p.securityContext = { ...p.securityContext, runAsUser: 0, runAsNonRoot: false };
            delete securityContext(p).runAsNonRoot;
          }),
        }),
    },
    {
      name: "a PodPatch that adds SYS_ADMIN",
      policy: "k8s-drop-all-capabilities",
      apply: (s) =>
        s.add(k8s.pod + "Patch", "pod-patch", {
          kind: "Pod",
          metadata: { name: "grafana-0", namespace: "monitoring" },
          spec: podFrom(s, k8s.deployment, (p) => (securityContext(p).capabilities = { drop: ["ALL"], add: ["SYS_ADMIN"] })),
        }),
    },
    {
      name: "a JobPatch with a writable root filesystem",
      policy: "k8s-read-only-root-filesystem",
      apply: (s) =>
        s.add(k8s.job + "Patch", "job-patch", {
          kind: "Job",
          metadata: { name: "migrate", namespace: "monitoring" },
          spec: { template: { spec: podFrom(s, k8s.deployment, (p) => (securityContext(p).readOnlyRootFilesystem = false)) } },
        }),
    },
    {
      name: "a ReplicationController allowing privilege escalation",
      policy: "k8s-no-privilege-escalation",
      apply: (s) =>
        s.add(k8s.replicationController, "rc", {
          kind: "ReplicationController",
          metadata: { name: "rc", namespace: "monitoring" },
          spec: { template: { spec: podFrom(s, k8s.deployment, (p) => (securityContext(p).allowPrivilegeEscalation = true)) } },
        }),
    },
    {
      name: "a PodTemplate with seccomp Unconfined",
      policy: "k8s-seccomp-runtime-default",
      apply: (s) =>
        s.add(k8s.podTemplate, "tpl", {
          kind: "PodTemplate",
          metadata: { name: "tpl", namespace: "monitoring" },
          template: { spec: podFrom(s, k8s.deployment, (p) => (securityContext(p).seccompProfile = { type: "Unconfined" })) },
        }),
    },
    {
      name: "a DeploymentList item mounting a token it does not need",
      policy: "k8s-api-token-only-for-api-clients",
      apply: (s) =>
        s.add(k8s.deployment + "List", "list", {
          kind: "DeploymentList",
          items: [{ ...structuredClone(s.find(k8s.deployment).inputs), spec: { template: { spec: podFrom(s, k8s.deployment, (p) => (p.automountServiceAccountToken = true)) } } }],
        }),
    },
    // Credentials inside structured documents
    {
      name: "a token inside minified JSON (the SLO document)",
      policy: "k8s-configmap-no-credentials",
      apply: (s) => {
        const data = s.find(k8s.configMap, (r) => Object.keys(r.inputs.data ?? {}).some((k) => k.endsWith(".json"))).inputs.data;
        const key = Object.keys(data).find((k) => k.endsWith(".json"))!;
        data[key] = JSON.stringify({ ...JSON.parse(data[key]), exporter: { apiKey: "9f8e7d6c5b4a39281706" } });
      },
    },
    {
      name: "a password inside a folded YAML block scalar",
      policy: "k8s-configmap-no-credentials",
      apply: (s) => {
        const data = s.find(k8s.configMap, (r) => r.inputs.metadata.name === "grafana-datasources").inputs.data;
        const key = Object.keys(data)[0];
        data[key] = `${data[key]}
extra: >
  connect with
  postgres://grafana:pa55w0rd@db:5432/grafana
`;
      },
    },
    {
      name: "a Slack token inside a JSON string embedded in YAML",
      policy: "k8s-configmap-no-credentials",
      apply: (s) => {
        const data = s.find(k8s.configMap, (r) => r.inputs.metadata.name === "alertmanager-config").inputs.data;
        const key = Object.keys(data)[0];
        data[key] = `${data[key]}
extra_config: '{"notifier":{"bot":"xoxb-1234567890-abcdefghij"}}'
`;
      },
    },
    {
      name: "a secret in a ConfigMap's binaryData",
      policy: "k8s-configmap-no-credentials",
      apply: (s) => (s.find(k8s.configMap).inputs.binaryData = { "env.json": Buffer.from('{"db":{"secret":"hunter2hunter2"}}').toString("base64") }),
    },
    // RBAC least privilege
    {
      name: "let Prometheus read Secrets cluster-wide",
      policy: "k8s-rbac-least-privilege",
      apply: (s) => clusterRole(s, "monitoring-prometheus-discovery").rules.push({ apiGroups: [""], resources: ["secrets"], verbs: ["get", "list"] }),
    },
    { name: "let the log agent exec into pods", policy: "k8s-rbac-least-privilege", apply: (s) => clusterRole(s, "log-agents-log-agent").rules.push({ apiGroups: [""], resources: ["pods/exec"], verbs: ["create"] }) },
    { name: "give the trace agent nodes/proxy", policy: "k8s-rbac-least-privilege", apply: (s) => clusterRole(s, "tracing-otel-agent").rules.push({ apiGroups: [""], resources: ["nodes/proxy"], verbs: ["get"] }) },
    {
      name: "a new ClusterRole that impersonates and escalates",
      policy: "k8s-rbac-least-privilege",
      apply: (s) =>
        s.add(k8s.clusterRole, "helper", { kind: "ClusterRole", metadata: { name: "helper" }, rules: [{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["escalate", "bind"] }, { apiGroups: [""], resources: ["users"], verbs: ["impersonate"] }] }),
    },
    { name: "bind Prometheus to the built-in edit role", policy: "k8s-rbac-least-privilege", apply: (s) => (s.find(k8s.clusterRoleBinding).inputs.roleRef.name = "edit") },
    {
      name: "bind a role to every authenticated user",
      policy: "k8s-rbac-least-privilege",
      apply: (s) => s.find(k8s.clusterRoleBinding).inputs.subjects.push({ kind: "Group", name: "system:authenticated", apiGroup: "rbac.authorization.k8s.io" }),
    },
    {
      name: "aggregate an agent role into the built-in view role",
      policy: "k8s-rbac-least-privilege",
      apply: (s) => (clusterRole(s, "tracing-otel-agent").metadata.labels["rbac.authorization.k8s.io/aggregate-to-view"] = "true"),
    },
    // Data lifecycle
    { name: "expire chunks after 30 days in prod", policy: "aws-s3-lifecycle-outlasts-retention", apply: (s) => (lifecycle(s).rules[0].expiration.days = 30) },
    { name: "expire chunks on the retention day (before the delete delay)", policy: "aws-s3-lifecycle-outlasts-retention", apply: (s) => (lifecycle(s).rules[0].expiration.days = 365) },
    {
      name: "add a bucket-wide rule expiring everything after 90 days",
      policy: "aws-s3-lifecycle-outlasts-retention",
      apply: (s) => lifecycle(s).rules.push({ id: "cleanup", status: "Enabled", filter: {}, expiration: { days: 90 } }),
    },
    { name: "expire previous versions after 1 day", policy: "aws-s3-lifecycle-outlasts-retention", apply: (s) => (lifecycle(s).rules[0].noncurrentVersionExpiration.noncurrentDays = 1) },
    { name: "expire chunks on a fixed date", policy: "aws-s3-lifecycle-outlasts-retention", apply: (s) => (lifecycle(s).rules[0].expiration = { date: "2026-01-01T00:00:00Z" }) },
    {
      name: "move the lifecycle to the V2 type with a 60-day expiry",
      policy: "aws-s3-lifecycle-outlasts-retention",
      apply: (s) => {
        const resource = s.find(aws.s3Lifecycle);
        resource.type = aws.s3Lifecycle[1];
        resource.inputs.rules[0].expiration.days = 60;
      },
    },
    {
      name: "an inline lifecycleRules on the bucket expiring after 14 days",
      policy: "aws-s3-lifecycle-outlasts-retention",
      apply: (s) => (s.find(aws.s3Bucket).inputs.lifecycleRules = [{ enabled: true, expiration: { days: 14 } }]),
    },
  ];
}

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

/**
 * The offline runner and the analyzer host the Pulumi CLI starts give the same verdicts — policy, resource, level and
 * message — on the rendered prod stack and on every mutant of it. Resources go to Analyze one by one and the whole
 * stack to AnalyzeStack, as the engine sends them (an unchanged resource's verdicts are reused between mutants).
 */
describe("policies: the real analyzer agrees with the offline runner on every mutant", function () {
  this.timeout(600_000);
  let host: AnalyzerHost;
  let rendered: { resources: RecordedResource[]; environment: string };
  const analyzed = new Map<string, string[]>();
  const level = (l: analyzerPb.EnforcementLevel) => (l === analyzerPb.EnforcementLevel.MANDATORY ? "mandatory" : l === analyzerPb.EnforcementLevel.ADVISORY ? "advisory" : `level ${l}`);

  before(async () => {
    rendered = await synth("prod");
    host = await startAnalyzerHost({ stack: "prod", config: { "sigma-observability:environment": rendered.environment } });
  });
  after(async () => {
    await host?.stop();
  });

  async function real(resources: RecordedResource[]): Promise<string[]> {
    const verdicts: string[] = [];
    for (const r of resources) {
      const key = JSON.stringify([r.type, r.urn, r.inputs, r.options]);
      if (!analyzed.has(key)) {
        const response = await host.call<analyzerPb.AnalyzeRequest, analyzerPb.AnalyzeResponse>(host.client.analyze, analyzeRequest(r));
        analyzed.set(key, response.getDiagnosticsList().map((d) => `${d.getPolicyname()} ${d.getUrn() || r.urn} ${level(d.getEnforcementlevel())}\n${d.getMessage()}`));
      }
      verdicts.push(...analyzed.get(key)!);
    }
    const stack = await host.call<analyzerPb.AnalyzeStackRequest, analyzerPb.AnalyzeResponse>(
      host.client.analyzeStack,
      new analyzerPb.AnalyzeStackRequest().setResourcesList(resources.map(stackResource)),
    );
    verdicts.push(...stack.getDiagnosticsList().map((d) => `${d.getPolicyname()} ${d.getUrn() || "(stack)"} ${level(d.getEnforcementlevel())}\n${d.getMessage()}`));
    return verdicts.sort();
  }

  async function offline(resources: RecordedResource[]): Promise<string[]> {
    const report = await runPolicies(resources, { environment: rendered.environment });
    return report.violations.map((v) => `${v.policy} ${v.urn ?? "(stack)"} ${v.enforcementLevel}\n${v.description}\n${v.message}`).sort();
  }

  it(`gives the verdicts of the offline runner on the prod stack and each of ${mutations.length} mutants`, async () => {
    const disagreements: string[] = [];
    const compare = async (name: string, resources: RecordedResource[]) => {
      const [a, b] = [await real(resources), await offline(resources)];
      if (JSON.stringify(a) !== JSON.stringify(b)) {
        const onlyReal = a.filter((x) => !b.includes(x));
        const onlyOffline = b.filter((x) => !a.includes(x));
        disagreements.push(`${name}:\n  only the analyzer: ${onlyReal.join("\n    ") || "-"}\n  only offline: ${onlyOffline.join("\n    ") || "-"}`);
      }
      return b.length;
    };
    assert.equal(await compare("the prod stack", rendered.resources), 0);
    let verdicts = 0;
    for (const mutation of mutations) {
      const stack = new Stack(structuredClone(rendered.resources));
      mutation.apply(stack);
      verdicts += await compare(mutation.name, stack.resources);
    }
    console.log(`      ${mutations.length} mutants, ${verdicts} violations: the analyzer host and the offline runner agree on each`);
    assert.deepEqual(disagreements, []);
  });
});
