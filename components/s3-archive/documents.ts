import type * as aws from "@pulumi/aws";
import { type ArchiveConfig, chunkPrefixes } from "../../config/logging";
import type { PolicyDocument } from "../aws/iam";

/**
 * The typed documents of the Loki archive: lifecycle rules, bucket policy and Loki's IAM policy. Plain functions of
 * plain values, so each rule is unit-testable; the component only wires ARNs in.
 */

type LifecycleRule = aws.types.input.s3.BucketLifecycleConfigurationRule;

export type { PolicyDocument, PolicyStatement } from "../aws/iam";

/**
 * One lifecycle rule per chunk prefix, and nothing else: `index/` (with the delete-request store under it) and the
 * cluster seed at the root are never matched, so S3 never moves or deletes what Loki needs to find its chunks.
 * Chunks move through the configured classes, expire as a safety net after `expirationDays`, their noncurrent
 * versions (left by the compactor's deletes) expire after the recovery window, and stale multipart uploads are aborted.
 */
export function lifecycleRules(a: ArchiveConfig, expirationDays: number, prefixes: string[] = chunkPrefixes()): LifecycleRule[] {
  return prefixes.map((prefix) => ({
    id: `loki-chunks-${prefix.replace(/\/$/, "").replace(/[^A-Za-z0-9-]/g, "-")}`,
    status: "Enabled",
    filter: { prefix },
    transitions: a.transitions.map((t) => ({ days: t.days, storageClass: t.storageClass })),
    expiration: { days: expirationDays },
    noncurrentVersionExpiration: { noncurrentDays: a.noncurrentVersionExpirationDays },
    abortIncompleteMultipartUpload: { daysAfterInitiation: a.abortIncompleteMultipartUploadDays },
  }));
}

/**
 * The bucket policy: no request without TLS, no object written without SSE-KMS under this stack's key. Loki's client
 * sends the SSE-KMS headers itself (`sse.type: SSE-KMS`), so the conditions hold for every write it makes.
 */
export function bucketPolicy(bucketArn: string, kmsKeyArn: string): PolicyDocument {
  const objects = `${bucketArn}/*`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, objects],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Sid: "DenyUnencryptedUploads",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: objects,
        Condition: { Null: { "s3:x-amz-server-side-encryption": "true" } },
      },
      {
        Sid: "DenyUploadsNotSseKms",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: objects,
        Condition: { StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" } },
      },
      {
        Sid: "DenyUploadsWithOtherKmsKey",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: objects,
        Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": kmsKeyArn } },
      },
    ],
  };
}

/**
 * What Loki may do, and nothing more: list this bucket; read, write and delete its objects (the compactor rewrites
 * the index and deletes expired chunks); use this key to encrypt (GenerateDataKey) and decrypt, only through S3.
 */
export function lokiAccessPolicy(bucketArn: string, kmsKeyArn: string, region: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "ListLokiBucket", Effect: "Allow", Action: "s3:ListBucket", Resource: bucketArn },
      {
        Sid: "ReadWriteLokiObjects",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        Resource: `${bucketArn}/*`,
      },
      {
        Sid: "UseLokiKeyThroughS3",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: kmsKeyArn,
        Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
      },
    ],
  };
}
