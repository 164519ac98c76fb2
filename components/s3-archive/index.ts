import * as iam from "@pulumi/aws/iam";
import * as kms from "@pulumi/aws/kms";
import * as s3 from "@pulumi/aws/s3";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config";
import { type ArchiveConfig, type ReadableStorageClass, expirationDays, longestRetentionSeconds } from "../../config/logging";
import { dataProtection } from "../k8s/protection";
import { lokiServiceAccountName } from "../logging-tier/identity";
import { namespaceOf } from "../topology";
import { type CostEstimate, estimateMonthlyCost } from "./cost-model";
import { irsaTrustPolicy } from "../aws/iam";
import { bucketPolicy, lifecycleRules, lokiAccessPolicy } from "./documents";

export { estimateMonthlyCost, s3Prices } from "./cost-model";
export { bucketPolicy, lifecycleRules, lokiAccessPolicy } from "./documents";

export interface S3ArchiveArgs {
  config: StackConfig;
  archive: ArchiveConfig;
}

/** The steady-state storage cost estimate of a stack's archive, from its config alone. */
export function archiveCostEstimate(config: StackConfig, archive: ArchiveConfig): CostEstimate {
  return estimateMonthlyCost({
    storedGiBPerDay: archive.costEstimate.storedGiBPerDay,
    averageObjectMiB: archive.costEstimate.averageObjectMiB,
    retentionDays: Math.ceil(longestRetentionSeconds(config.logging) / 86_400),
    transitions: archive.transitions.map((t) => ({ days: t.days, storageClass: t.storageClass as ReadableStorageClass })),
  });
}

/** What the archive's resources are named and protected by. */
interface ArchiveScope {
  /** The component's name, the prefix of every child's logical name. */
  name: string;
  config: StackConfig;
  archive: ArchiveConfig;
  parent: pulumi.Resource;
}

/** The customer-managed KMS key of the bucket, with automatic rotation and an alias naming the cluster. */
function deployArchiveKey({ name, config: c, archive: a, parent }: ArchiveScope): kms.Key {
  const key = new kms.Key(
    `${name}-key`,
    {
      description: `Encrypts Loki chunks and index in s3://${a.bucketName} (${c.cluster.name})`,
      enableKeyRotation: true,
      deletionWindowInDays: c.environment === "prod" ? 30 : 7,
    },
    dataProtection(c, parent),
  );
  new kms.Alias(`${name}-key-alias`, { name: `alias/${c.cluster.name}-loki`, targetKeyId: key.keyId }, { parent });
  return key;
}

/**
 * The bucket: owner-enforced, never public, SSE-KMS with the archive key, versioned, access-logged, with the chunk
 * lifecycle and a policy refusing requests without TLS and uploads not encrypted with the archive key.
 */
function deployArchiveBucket({ name, config: c, archive: a, parent }: ArchiveScope, key: kms.Key): s3.Bucket {
  const bucket = new s3.Bucket(`${name}-bucket`, { bucket: a.bucketName, forceDestroy: c.environment !== "prod" }, dataProtection(c, parent));
  const onBucket = { parent, dependsOn: [bucket] };
  new s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, onBucket);
  const publicAccess = new s3.BucketPublicAccessBlock(
    `${name}-public-access`,
    { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    onBucket,
  );
  new s3.BucketServerSideEncryptionConfiguration(
    `${name}-encryption`,
    {
      bucket: bucket.id,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn }, bucketKeyEnabled: true }],
    },
    onBucket,
  );
  const versioning = new s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, onBucket);
  new s3.BucketLogging(
    `${name}-access-logs`,
    { bucket: bucket.id, targetBucket: a.accessLogs.bucketName, targetPrefix: `${a.accessLogs.prefix}${a.bucketName}/` },
    onBucket,
  );
  // Noncurrent-version expiration needs versioning in place first.
  new s3.BucketLifecycleConfiguration(
    `${name}-lifecycle`,
    { bucket: bucket.id, rules: lifecycleRules(a, expirationDays(c.logging, a)) },
    { parent, dependsOn: [versioning] },
  );
  // A bucket policy is applied after the public access block, which would otherwise judge it first.
  new s3.BucketPolicy(
    `${name}-policy`,
    { bucket: bucket.id, policy: pulumi.jsonStringify(pulumi.all([bucket.arn, key.arn]).apply(([b, k]) => bucketPolicy(b, k))) },
    { parent, dependsOn: [publicAccess] },
  );
  return bucket;
}

/** The IRSA role Loki's ServiceAccount assumes, allowed exactly the bucket and key. */
function deployLokiRole({ name, config: c, archive: a, parent }: ArchiveScope, bucket: s3.Bucket, key: kms.Key): iam.Role {
  const { oidcProviderArn, oidcProviderUrl } = c.cluster;
  if (!oidcProviderArn || !oidcProviderUrl) {
    throw new Error("cluster.oidcProviderArn and cluster.oidcProviderUrl must be set when archive is configured (config validation enforces this)");
  }
  const role = new iam.Role(
    `${name}-loki-role`,
    {
      name: `${c.cluster.name}-loki`,
      description: `Loki (${namespaceOf(c.namespaces, "loki")}/${lokiServiceAccountName}) reads and writes s3://${a.bucketName}`,
      assumeRolePolicy: pulumi.jsonStringify(irsaTrustPolicy(oidcProviderArn, oidcProviderUrl, namespaceOf(c.namespaces, "loki"), lokiServiceAccountName)),
      maxSessionDuration: 3600,
    },
    { parent },
  );
  new iam.RolePolicy(
    `${name}-loki-access`,
    {
      name: "loki-bucket-access",
      role: role.name,
      policy: pulumi.jsonStringify(pulumi.all([bucket.arn, key.arn]).apply(([b, k]) => lokiAccessPolicy(b, k, c.cluster.region))),
    },
    { parent },
  );
  return role;
}

/**
 * Loki's durable store on AWS: a customer-managed KMS key, one versioned, SSE-KMS-encrypted, private bucket with
 * access logging and a chunk-only lifecycle, and the IAM role Loki's service account assumes through IRSA.
 * In prod the bucket and key are protected and the bucket cannot be force-destroyed.
 */
export class S3Archive extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  readonly kmsKeyArn: pulumi.Output<string>;
  readonly roleArn: pulumi.Output<string>;
  /** The region Loki's S3 client must use (the stack's AWS provider region). */
  readonly region: string;
  readonly outputs: Record<string, pulumi.Input<unknown>>;

  constructor(name: string, args: S3ArchiveArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sigma:observability:S3Archive", name, {}, opts);
    const c = args.config;
    const a = args.archive;
    const scope: ArchiveScope = { name, config: c, archive: a, parent: this };

    const key = deployArchiveKey(scope);
    const bucket = deployArchiveBucket(scope, key);
    const role = deployLokiRole(scope, bucket, key);

    this.bucketName = bucket.bucket;
    this.kmsKeyArn = key.arn;
    this.roleArn = role.arn;
    this.region = c.cluster.region;
    this.outputs = {
      lokiBucket: this.bucketName,
      lokiKmsKeyArn: this.kmsKeyArn,
      lokiRoleArn: this.roleArn,
      lokiChunkExpirationDays: expirationDays(c.logging, a),
      logStorageCostEstimate: archiveCostEstimate(c, a),
    };
    this.registerOutputs(this.outputs);
  }
}
