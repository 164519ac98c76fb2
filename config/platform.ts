import { z } from "zod";
import { arn, awsRegion, cidr, dnsLabel, hostname } from "./common";

/** Settings every tier shares: where the stack runs, its namespaces, storage, network boundaries and ingress. */

export const environments = ["local", "staging", "prod"] as const;
export type Environment = (typeof environments)[number];

export const cluster = z.strictObject({
  name: dnsLabel,
  region: awsRegion,
  /** IRSA: the EKS cluster's IAM OIDC provider; required as soon as any AWS-backed store is selected. */
  oidcProviderArn: arn("iam").optional(),
  /** The issuer URL without scheme, as it appears in IAM condition keys (`oidc.eks.<region>.amazonaws.com/id/<ID>`). */
  oidcProviderUrl: z
    .string()
    .regex(/^[a-z0-9.-]+(\/[A-Za-z0-9._-]+)*$/, "the OIDC issuer host and path without https://")
    .optional(),
});

export const namespaces = z
  .strictObject({
    monitoring: dnsLabel.default("monitoring"),
    tracing: dnsLabel.default("tracing"),
    logging: dnsLabel.default("logging"),
    /** Holds only the log agent DaemonSet, the one workload that must read node log files through hostPath. */
    logAgents: dnsLabel.default("log-agents"),
  })
  .prefault({});

export const storageClass = z
  .strictObject({
    name: dnsLabel.default("gp3-encrypted"),
    /**
     * `true`: this stack creates the encrypted gp3 class below (EKS with the EBS CSI driver). `false`: every claim uses
     * the cluster's existing class `name` (kind's `standard`, minikube's, k3d's `local-path`) and none is created; the
     * gp3 settings below then do not apply.
     */
    create: z.boolean().default(true),
    /** Customer-managed KMS key for EBS volumes; unset uses the account's default aws/ebs key (still encrypted). */
    kmsKeyArn: arn("kms").optional(),
    /** gp3 baseline: 3000 IOPS and 125 MiB/s are included in the gp3 price, so asking for less saves nothing. */
    iops: z.number().int().min(3000, "an integer >= 3000 (gp3 baseline)").max(16000, "an integer <= 16000 (gp3 maximum)").default(3000),
    throughputMiBps: z.number().int().min(125, "an integer >= 125 (gp3 baseline)").max(1000, "an integer <= 1000 (gp3 maximum)").default(125),
  })
  .prefault({});

const labels = z.record(z.string(), z.string());

export const network = z
  .strictObject({
    /** Where cluster DNS runs; every namespace's baseline policy allows egress to it on 53/UDP+TCP only. */
    dns: z
      .strictObject({ namespace: dnsLabel.default("kube-system"), podLabels: labels.default({ "k8s-app": "kube-dns" }) })
      .prefault({}),
    /** The ingress controller's pods, the only source allowed to reach the UIs. */
    ingressController: z
      .strictObject({
        namespace: dnsLabel.default("ingress-nginx"),
        podLabels: labels.default({ "app.kubernetes.io/name": "ingress-nginx" }),
      })
      .prefault({}),
    /** Namespaces of the catalogued services carry this label; Prometheus scrapes them and they send OTLP to the agents. */
    serviceNamespaceLabels: labels.default({ "observability.sigma.dev/monitored": "true" }),
    /**
     * The Kubernetes API server's endpoint addresses (`kubectl get endpoints kubernetes`), not the Service range:
     * NetworkPolicy egress is matched after kube-proxy rewrote `kubernetes.default` to those addresses. A
     * NetworkPolicy cannot select the control plane by label, so service discovery and k8sattributes egress is
     * opened to these CIDRs on 443 only. No default: a guess would silently block discovery.
     */
    apiServerCidrs: z.array(cidr).min(1, "at least one CIDR"),
    /**
     * Where AWS endpoints (S3, RDS, OpenSearch, STS) are reached on 443. S3 answers on public ranges even through a
     * gateway endpoint, so the default is any address; narrow it to VPC endpoint subnets where they exist.
     */
    awsEgressCidrs: z.array(cidr).min(1, "at least one CIDR").default(["0.0.0.0/0"]),
  });

/** How the admin UIs (Prometheus, Alertmanager, Jaeger) are kept behind authentication at the ingress. */
const ingressAuth = z.discriminatedUnion("mode", [
  z.strictObject({
    mode: z.literal("oauth2-proxy"),
    /** oauth2-proxy's `/oauth2/auth` endpoint, called by the controller for every request. */
    authUrl: z.string().url("an https URL").startsWith("https://", "an https URL"),
    /** Where unauthenticated users are sent to sign in. */
    signinUrl: z.string().url("an https URL").startsWith("https://", "an https URL"),
  }),
  z.strictObject({
    mode: z.literal("basic-auth"),
    /** An existing Secret (htpasswd format, key `auth`) in each namespace that hosts a UI. */
    secretName: dnsLabel,
  }),
]);

export const ingress = z.strictObject({
  className: dnsLabel.default("nginx"),
  /** cert-manager ClusterIssuer that signs the TLS certificate. */
  clusterIssuer: dnsLabel,
  /** Secret cert-manager writes the certificate into. */
  tlsSecretName: dnsLabel.default("observability-tls"),
  hosts: z.strictObject({ grafana: hostname, prometheus: hostname, alertmanager: hostname, jaeger: hostname }),
  auth: ingressAuth,
});

export const platformShape = {
  environment: z.enum(environments),
  /**
   * Marks every resource that holds data (volumes' StatefulSets, namespaces, buckets, keys, databases) `protect`, so
   * `pulumi destroy` or a replacement stops before it. Always on in prod; opt in elsewhere (e.g. a shared staging).
   */
  protectData: z.boolean().optional(),
  cluster,
  namespaces,
  storageClass,
  network,
  ingress,
};
