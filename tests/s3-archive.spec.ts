import * as assert from "assert";
import { irsaTrustPolicy } from "../components/aws/iam";
import { bucketPolicy, lifecycleRules, lokiAccessPolicy } from "../components/s3-archive/documents";
import { validateStackConfig } from "../config";
import { type Rendered, renderWith, stackValues } from "./support/harness";

const archiveOf = (stack: string) => ({
  bucketName: `sigma-${stack}-loki-chunks-eu-west-1`,
  accessLogs: { bucketName: `sigma-${stack}-s3-access-logs-eu-west-1`, prefix: "loki/" },
});

/** The stack with an archive section (the stack file's own, when it has one). */
function withArchive(stack: string) {
  return (v: Record<string, any>) => {
    v.archive ??= archiveOf(stack);
  };
}

/** The one resource of a type that the S3Archive component owns (other tiers have KMS keys and roles too). */
const one = (r: Rendered, type: string) => {
  const found = r.ofType(type).filter((x) => x.urn.includes("sigma:observability:S3Archive"));
  assert.strictEqual(found.length, 1, `expected one ${type}, found ${found.length}`);
  return found[0];
};

describe("S3Archive", () => {
  let prod: Rendered;
  let staging: Rendered;
  let bucketName: string;
  before(async () => {
    prod = await renderWith("prod", withArchive("prod"));
    staging = await renderWith("staging", withArchive("staging"));
    const v = stackValues("prod");
    withArchive("prod")(v);
    bucketName = v.archive.bucketName;
  });

  describe("the bucket (prod)", () => {
    it("is named from config, protected, and cannot be force-destroyed", () => {
      const bucket = one(prod, "aws:s3/bucket:Bucket");
      assert.strictEqual(bucket.inputs.bucket, bucketName);
      assert.strictEqual(bucket.inputs.forceDestroy, false);
      assert.strictEqual(bucket.options.protect, true);
    });

    it("is encrypted by default with the stack's customer-managed, rotating, protected KMS key and a bucket key", () => {
      const key = one(prod, "aws:kms/key:Key");
      assert.strictEqual(key.inputs.enableKeyRotation, true);
      assert.strictEqual(key.inputs.deletionWindowInDays, 30);
      assert.strictEqual(key.options.protect, true);
      const sse = one(prod, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration");
      assert.strictEqual(sse.inputs.bucket, bucketName);
      assert.strictEqual(sse.inputs.rules.length, 1);
      const [rule] = sse.inputs.rules;
      assert.strictEqual(rule.applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
      // The stack's own key (its ARN is computed by the provider), not the AWS-managed aws/s3 alias.
      assert.match(rule.applyServerSideEncryptionByDefault.kmsMasterKeyId, /^arn:aws:kms:eu-west-1:\d{12}:key\/\[computed\]$/);
      assert.strictEqual(rule.bucketKeyEnabled, true);
    });

    it("has versioning enabled, every public access blocked and ACLs disabled", () => {
      assert.deepStrictEqual(one(prod, "aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration, { status: "Enabled" });
      const block = one(prod, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs;
      for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) assert.strictEqual(block[flag], true, flag);
      assert.deepStrictEqual(one(prod, "aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule, { objectOwnership: "BucketOwnerEnforced" });
    });

    it("logs access to the configured log bucket under its own prefix", () => {
      const logging = one(prod, "aws:s3/bucketLogging:BucketLogging").inputs;
      assert.strictEqual(logging.targetBucket, "sigma-prod-s3-access-logs-eu-west-1");
      assert.strictEqual(logging.targetPrefix, `loki/${bucketName}/`);
    });

    it("has a policy denying non-TLS requests, uploads without SSE-KMS and uploads under another key", () => {
      const policy = JSON.parse(one(prod, "aws:s3/bucketPolicy:BucketPolicy").inputs.policy);
      const bySid = Object.fromEntries(policy.Statement.map((s: any) => [s.Sid, s]));
      assert.deepStrictEqual(Object.keys(bySid).sort(), ["DenyInsecureTransport", "DenyUnencryptedUploads", "DenyUploadsNotSseKms", "DenyUploadsWithOtherKmsKey"]);
      for (const s of policy.Statement) {
        assert.strictEqual(s.Effect, "Deny");
        assert.strictEqual(s.Principal, "*");
      }
      assert.deepStrictEqual(bySid.DenyInsecureTransport.Condition, { Bool: { "aws:SecureTransport": "false" } });
      assert.strictEqual(bySid.DenyInsecureTransport.Action, "s3:*");
      assert.strictEqual(bySid.DenyInsecureTransport.Resource.length, 2);
      assert.deepStrictEqual(bySid.DenyUnencryptedUploads.Condition, { Null: { "s3:x-amz-server-side-encryption": "true" } });
      assert.deepStrictEqual(bySid.DenyUploadsNotSseKms.Condition, { StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" } });
      assert.deepStrictEqual(bySid.DenyUploadsWithOtherKmsKey.Condition, {
        StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": prodKeyArn() },
      });
    });
  });

  describe("the lifecycle", () => {
    it("is one configuration whose every rule filters on the chunk prefix only, never index/ or the whole bucket", () => {
      const lifecycle = one(prod, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs;
      assert.strictEqual(lifecycle.bucket, bucketName);
      assert.ok(lifecycle.rules.length >= 1);
      for (const rule of lifecycle.rules) {
        assert.deepStrictEqual(Object.keys(rule.filter), ["prefix"], `rule ${rule.id} filters on a prefix only`);
        assert.strictEqual(rule.filter.prefix, "fake/");
        assert.strictEqual(rule.prefix, undefined, "the deprecated rule-level prefix would bypass the filter");
      }
    });

    it("tiers into millisecond-readable classes, expires after retention + delete delay + margin, cleans versions and uploads", () => {
      const [rule] = one(prod, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules;
      assert.strictEqual(rule.status, "Enabled");
      assert.deepStrictEqual(rule.transitions, [{ days: 0, storageClass: "INTELLIGENT_TIERING" }]);
      assert.deepStrictEqual(rule.expiration, { days: 373 });
      assert.deepStrictEqual(rule.noncurrentVersionExpiration, { noncurrentDays: 30 });
      assert.deepStrictEqual(rule.abortIncompleteMultipartUpload, { daysAfterInitiation: 1 });
    });

    it("never enables the opt-in Archive Access tiers of Intelligent-Tiering", () => {
      assert.deepStrictEqual(prod.ofType("aws:s3/bucketIntelligentTieringConfiguration:BucketIntelligentTieringConfiguration"), []);
    });

    it("builds one rule per prefix with the configured GLACIER_IR tiering (unit)", () => {
      const v = stackValues("prod");
      v.archive = { ...archiveOf("prod"), transitions: [{ days: 30, storageClass: "GLACIER_IR" }], noncurrentVersionExpirationDays: 14 };
      const c = validateStackConfig(v);
      const rules = lifecycleRules(c.archive!, 380, ["fake/", "team-a/"]);
      assert.deepStrictEqual(
        rules.map((r) => [r.id, r.filter, r.transitions, r.expiration, r.noncurrentVersionExpiration]),
        [
          ["loki-chunks-fake", { prefix: "fake/" }, [{ days: 30, storageClass: "GLACIER_IR" }], { days: 380 }, { noncurrentDays: 14 }],
          ["loki-chunks-team-a", { prefix: "team-a/" }, [{ days: 30, storageClass: "GLACIER_IR" }], { days: 380 }, { noncurrentDays: 14 }],
        ],
      );
    });
  });

  describe("Loki's IAM role", () => {
    it("trusts only Loki's service account through the cluster's OIDC provider, for the STS audience", () => {
      const v = stackValues("prod");
      const role = one(prod, "aws:iam/role:Role");
      assert.strictEqual(role.inputs.name, "sigma-prod-loki");
      assert.deepStrictEqual(
        JSON.parse(role.inputs.assumeRolePolicy),
        irsaTrustPolicy(v.cluster.oidcProviderArn, v.cluster.oidcProviderUrl, "logging", "loki"),
      );
      const statement = JSON.parse(role.inputs.assumeRolePolicy).Statement[0];
      assert.strictEqual(statement.Action, "sts:AssumeRoleWithWebIdentity");
      assert.deepStrictEqual(statement.Condition.StringEquals, {
        [`${v.cluster.oidcProviderUrl}:sub`]: "system:serviceaccount:logging:loki",
        [`${v.cluster.oidcProviderUrl}:aud`]: "sts.amazonaws.com",
      });
    });

    it("may list the bucket, read/write/delete its objects and use its key through S3, and nothing else", () => {
      const inline = one(prod, "aws:iam/rolePolicy:RolePolicy");
      assert.deepStrictEqual(prod.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment"), []);
      const doc = JSON.parse(inline.inputs.policy);
      const bucketArn = doc.Statement[0].Resource;
      assert.deepStrictEqual(doc, lokiAccessPolicy(bucketArn, prodKeyArn(), "eu-west-1"));
      const actions = doc.Statement.flatMap((s: any) => [s.Action].flat()).sort();
      assert.deepStrictEqual(actions, ["kms:Decrypt", "kms:GenerateDataKey", "s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject"]);
      for (const s of doc.Statement) assert.notStrictEqual(s.Resource, "*", s.Sid);
    });

    it("scopes the documents to exactly the ARNs it is given (unit)", () => {
      const bucket = "arn:aws:s3:::sigma-prod-loki-chunks-eu-west-1";
      const key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
      const access = lokiAccessPolicy(bucket, key, "eu-west-1");
      assert.deepStrictEqual(access.Statement.map((s) => s.Resource), [bucket, `${bucket}/*`, key]);
      assert.deepStrictEqual(access.Statement[2].Condition, { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } });
      assert.deepStrictEqual(bucketPolicy(bucket, key).Statement[0].Resource, [bucket, `${bucket}/*`]);
    });
  });

  describe("outside prod", () => {
    it("leaves bucket and key unprotected and force-destroyable, with a short key deletion window", () => {
      const bucket = one(staging, "aws:s3/bucket:Bucket");
      assert.strictEqual(bucket.options.protect, false);
      assert.strictEqual(bucket.inputs.forceDestroy, true);
      const key = one(staging, "aws:kms/key:Key");
      assert.strictEqual(key.options.protect, false);
      assert.strictEqual(key.inputs.deletionWindowInDays, 7);
      assert.strictEqual(key.inputs.enableKeyRotation, true);
    });
  });

  it("exports the bucket, key, role, chunk expiration and the storage cost estimate as stack outputs", () => {
    const out = prod.result.outputs as Record<string, any>;
    assert.strictEqual(out.lokiBucket, bucketName);
    assert.strictEqual(out.lokiChunkExpirationDays, 373);
    assert.strictEqual(out.lokiKmsKeyArn, prodKeyArn());
    assert.ok(out.logStorageCostEstimate.tiered.total < out.logStorageCostEstimate.allStandard.total);
  });

  /** The KMS key's ARN as the render records it (account and region known, key id computed). */
  function prodKeyArn(): string {
    return one(prod, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs.rules[0]
      .applyServerSideEncryptionByDefault.kmsMasterKeyId;
  }
});
