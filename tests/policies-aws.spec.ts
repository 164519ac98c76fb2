import assert from "node:assert/strict";
import type { Policies } from "@pulumi/policy";
import * as policies from "../policies/aws";
import { type RecordedResource, runPolicies } from "../policies/offline";
import { aws } from "../policies/tokens";
import { type Json, recorded, violationMessages } from "./support/policy-fixtures";

const messages = (policy: Policies[number], resources: RecordedResource[], environment = "prod") =>
  violationMessages(policy, resources, { environment });

const bucketName = "sigma-prod-loki-chunks";
const denyInsecure = {
  Sid: "DenyInsecureTransport",
  Effect: "Deny",
  Principal: "*",
  Action: "s3:*",
  Resource: ["[computed]", "[computed]/*"],
  Condition: { Bool: { "aws:SecureTransport": "false" } },
};

/** A compliant v7 bucket: the bucket plus its setting resources, linked by bucket name; `change` breaks one. */
function bucketStack(change: (byName: Record<string, Json>) => void = () => {}): RecordedResource[] {
  const inputs: Record<string, Json> = {
    bucket: { bucket: bucketName, forceDestroy: false },
    sse: {
      bucket: bucketName,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "[computed]" }, bucketKeyEnabled: true }],
    },
    versioning: { bucket: bucketName, versioningConfiguration: { status: "Enabled" } },
    pab: { bucket: bucketName, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    policy: { bucket: bucketName, policy: JSON.stringify({ Version: "2012-10-17", Statement: [denyInsecure] }) },
  };
  change(inputs);
  const types: Record<string, string> = {
    bucket: aws.s3Bucket[0],
    sse: aws.s3Encryption[0],
    versioning: aws.s3Versioning[0],
    pab: aws.s3PublicAccessBlock[0],
    policy: aws.s3BucketPolicy[0],
  };
  return Object.entries(inputs).map(([key, value]) => recorded(types[key], `chunks-${key}`, value));
}

describe("policies: AWS S3 (stack policies joining v7 bucket settings)", () => {
  it("a bucket with all its settings passes every S3 policy", async () => {
    const report = await runPolicies(bucketStack(), { policies: policies.awsStackPolicies });
    assert.deepEqual(report.violations, []);
  });

  it("reports the violation against the bucket, not the setting resource", async () => {
    const report = await runPolicies(bucketStack((s) => delete s.sse), { policies: [policies.s3KmsEncryption] });
    assert.equal(report.violations[0].urn, `urn:pulumi:prod::sigma-observability::${aws.s3Bucket[0]}::chunks-bucket`);
  });

  it("aws-s3-kms-encryption", async () => {
    assert.deepEqual(await messages(policies.s3KmsEncryption, bucketStack((s) => delete s.sse)), [
      'bucket "sigma-prod-loki-chunks": no BucketServerSideEncryptionConfiguration; must set sseAlgorithm "aws:kms" with a kmsMasterKeyId',
    ]);
    const aes = bucketStack((s) => (s.sse.rules[0].applyServerSideEncryptionByDefault = { sseAlgorithm: "AES256" }));
    assert.deepEqual(await messages(policies.s3KmsEncryption, aes), [
      'bucket "sigma-prod-loki-chunks": sseAlgorithm is "AES256"; must be "aws:kms" or "aws:kms:dsse"',
    ]);
    const awsManaged = bucketStack((s) => delete s.sse.rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId);
    assert.deepEqual(await messages(policies.s3KmsEncryption, awsManaged), [
      'bucket "sigma-prod-loki-chunks": kmsMasterKeyId is unset (the AWS-managed aws/s3 key); must be a customer-managed KMS key',
    ]);
  });

  it("aws-s3-kms-encryption ignores settings of another bucket", async () => {
    const other = bucketStack((s) => (s.sse.bucket = "some-other-bucket"));
    assert.deepEqual(await messages(policies.s3KmsEncryption, other), [
      'bucket "sigma-prod-loki-chunks": no BucketServerSideEncryptionConfiguration; must set sseAlgorithm "aws:kms" with a kmsMasterKeyId',
    ]);
  });

  it("aws-s3-versioning", async () => {
    const suspended = bucketStack((s) => (s.versioning.versioningConfiguration.status = "Suspended"));
    assert.deepEqual(await messages(policies.s3Versioning, suspended), [
      'bucket "sigma-prod-loki-chunks": BucketVersioning status is "Suspended"; must be "Enabled"',
    ]);
  });

  it("aws-s3-public-access-block", async () => {
    const partial = bucketStack((s) => (s.pab.restrictPublicBuckets = false));
    assert.deepEqual(await messages(policies.s3PublicAccessBlock, partial), [
      'bucket "sigma-prod-loki-chunks": BucketPublicAccessBlock.restrictPublicBuckets is false; must be true',
    ]);
    assert.deepEqual(await messages(policies.s3PublicAccessBlock, bucketStack((s) => delete s.pab)), [
      'bucket "sigma-prod-loki-chunks": no BucketPublicAccessBlock; must set blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets to true',
    ]);
  });

  it("aws-s3-deny-insecure-transport needs the Deny on both the bucket and its objects", async () => {
    const objectsOnly = bucketStack(
      (s) => (s.policy.policy = JSON.stringify({ Statement: [{ ...denyInsecure, Resource: "[computed]/*" }] })),
    );
    assert.deepEqual(await messages(policies.s3DenyInsecureTransport, objectsOnly), [
      'bucket "sigma-prod-loki-chunks": BucketPolicy has no statement denying s3:* on the bucket and its objects for Principal "*" when aws:SecureTransport is "false"',
    ]);
    assert.deepEqual(await messages(policies.s3DenyInsecureTransport, bucketStack((s) => delete s.policy)), [
      'bucket "sigma-prod-loki-chunks": no BucketPolicy; must deny s3:* for Principal "*" when aws:SecureTransport is "false"',
    ]);
    const asObject = bucketStack((s) => (s.policy.policy = { Statement: [{ ...denyInsecure, Principal: { AWS: "*" } }] }));
    assert.deepEqual(await messages(policies.s3DenyInsecureTransport, asObject), []);
  });

  it("requires an explicit bucket name so settings can be linked", async () => {
    const unnamed = bucketStack((s) => delete s.bucket.bucket);
    assert.deepEqual(await messages(policies.s3Versioning, unnamed), [
      "bucket is unset; must be an explicit name so its v7 setting resources can be linked",
    ]);
  });
});

describe("policies: AWS resource policies", () => {
  it("aws-no-public-resource-policy rejects unconditional Allow for everyone, not Deny or conditioned grants", async () => {
    const domainPolicy = (statement: Json) =>
      recorded(aws.opensearchDomainPolicy, "traces", { domainName: "sigma-prod-traces", accessPolicies: JSON.stringify({ Statement: [statement] }) });
    const grant = { Effect: "Allow", Action: ["es:ESHttpGet"], Resource: "[computed]/*" };
    assert.deepEqual(await messages(policies.noPublicResourcePolicy, [domainPolicy({ ...grant, Principal: { AWS: "[computed]" } })]), []);
    assert.deepEqual(
      await messages(policies.noPublicResourcePolicy, [domainPolicy({ ...grant, Principal: "*", Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } } })]),
      [],
    );
    assert.deepEqual(await messages(policies.noPublicResourcePolicy, bucketStack()), []);
    assert.deepEqual(await messages(policies.noPublicResourcePolicy, [domainPolicy({ ...grant, Principal: { AWS: ["*"] } })]), [
      'accessPolicies Statement[0] allows Principal "*" without a Condition; must name principals or add a condition',
    ]);
    const publicRead = { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "[computed]/*" };
    const openBucket = bucketStack((s) => (s.policy.policy = JSON.stringify({ Statement: [denyInsecure, publicRead] })));
    assert.deepEqual(await messages(policies.noPublicResourcePolicy, openBucket), [
      'policy Statement[1] allows Principal "*" without a Condition; must name principals or add a condition',
    ]);
  });
});

describe("policies: AWS RDS, OpenSearch, KMS and IAM", () => {
  const instance = (change: (i: Json) => void = () => {}) => {
    const inputs: Json = {
      identifier: "sigma-prod-grafana",
      engine: "postgres",
      engineVersion: "16.4",
      storageEncrypted: true,
      kmsKeyId: "[computed]",
      publiclyAccessible: false,
      deletionProtection: true,
      parameterGroupName: "sigma-prod-grafana-pg16",
    };
    change(inputs);
    return recorded(aws.rdsInstance, "grafana-db", inputs);
  };
  const parameterGroup = (value: string) =>
    recorded(aws.rdsParameterGroup, "grafana-pg", {
      name: "sigma-prod-grafana-pg16",
      family: "postgres16",
      parameters: [{ name: "rds.force_ssl", value, applyMethod: "pending-reboot" }],
    });

  it("a hardened instance passes every RDS policy", async () => {
    const rds = [policies.rdsStorageEncrypted, policies.rdsNotPublic, policies.rdsDeletionProtection, policies.rdsForceTls];
    const report = await runPolicies([instance(), parameterGroup("1")], { policies: rds, environment: "prod" });
    assert.deepEqual(report.violations, []);
  });

  it("aws-rds-storage-encrypted", async () => {
    assert.deepEqual(await messages(policies.rdsStorageEncrypted, [instance((i) => delete i.storageEncrypted)]), [
      "storageEncrypted is unset; must be true",
    ]);
  });

  it("aws-rds-not-public", async () => {
    assert.deepEqual(await messages(policies.rdsNotPublic, [instance((i) => (i.publiclyAccessible = true))]), [
      "publiclyAccessible is true; must be false or unset",
    ]);
  });

  it("aws-rds-deletion-protection applies in prod only", async () => {
    const unprotected = instance((i) => (i.deletionProtection = false));
    assert.deepEqual(await messages(policies.rdsDeletionProtection, [unprotected], "prod"), [
      "deletionProtection is false in prod; must be true",
    ]);
    const report = await runPolicies([unprotected], { policies: [policies.rdsDeletionProtection], environment: "staging" });
    assert.deepEqual(report.violations, []);
    assert.equal(report.policies[0].applied, 0, "not applicable outside prod");
  });

  it("aws-rds-force-tls joins the instance with its parameter group", async () => {
    assert.deepEqual(await messages(policies.rdsForceTls, [instance(), parameterGroup("0")]), [
      'parameter group "sigma-prod-grafana-pg16" sets rds.force_ssl to "0"; must be "1"',
    ]);
    assert.deepEqual(await messages(policies.rdsForceTls, [instance((i) => delete i.parameterGroupName), parameterGroup("1")]), [
      'parameterGroupName is unset; must name a ParameterGroup of this stack that sets rds.force_ssl = "1"',
    ]);
  });

  it("aws-opensearch-encryption", async () => {
    const domain = (change: (d: Json) => void = () => {}) => {
      const inputs: Json = {
        domainName: "sigma-prod-traces",
        encryptAtRest: { enabled: true },
        nodeToNodeEncryption: { enabled: true },
        domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-2-2019-07" },
      };
      change(inputs);
      return recorded(aws.opensearchDomain, "traces", inputs);
    };
    assert.deepEqual(await messages(policies.opensearchEncryption, [domain()]), []);
    const weak = domain((d) => {
      d.nodeToNodeEncryption.enabled = false;
      d.domainEndpointOptions = { enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-0-2019-07" };
    });
    assert.deepEqual(await messages(policies.opensearchEncryption, [weak]), [
      "nodeToNodeEncryption.enabled is false; must be true",
      'domainEndpointOptions.tlsSecurityPolicy is "Policy-Min-TLS-1-0-2019-07"; must be "Policy-Min-TLS-1-2-2019-07" or "Policy-Min-TLS-1-2-PFS-2023-10"',
    ]);
  });

  it("aws-kms-key-rotation applies to symmetric keys only", async () => {
    const key = (inputs: Json) => recorded(aws.kmsKey, "logs-key", inputs);
    assert.deepEqual(await messages(policies.kmsKeyRotation, [key({ enableKeyRotation: true })]), []);
    assert.deepEqual(await messages(policies.kmsKeyRotation, [key({ description: "logs" })]), ["enableKeyRotation is unset; must be true"]);
    assert.deepEqual(await messages(policies.kmsKeyRotation, [key({ customerMasterKeySpec: "RSA_3072", keyUsage: "SIGN_VERIFY" })]), []);
  });

  describe("aws-iam-no-wildcard-admin", () => {
    const scoped = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: "[computed]/*" }] };
    const admin = { Version: "2012-10-17", Statement: [scoped.Statement[0], { Effect: "Allow", Action: "*", Resource: "*" }] };
    it("accepts scoped policies (with computed ARNs) and rejects Action * on Resource *", async () => {
      assert.deepEqual(await messages(policies.iamNoWildcardAdmin, [recorded(aws.iamPolicy, "loki", { policy: JSON.stringify(scoped) })]), []);
      assert.deepEqual(await messages(policies.iamNoWildcardAdmin, [recorded(aws.iamRolePolicy, "loki", { role: "r", policy: JSON.stringify(admin) })]), [
        'policy Statement[1] allows every action on Resource "*"; must name actions and resources',
      ]);
    });
    it("checks Role inline policies and NotAction grants", async () => {
      const notAction = { Statement: { Effect: "Allow", NotAction: "iam:*", Resource: ["*"] } };
      const role = recorded(aws.iamRole, "loki", { assumeRolePolicy: "{}", inlinePolicies: [{ name: "ok", policy: JSON.stringify(scoped) }, { name: "bad", policy: JSON.stringify(notAction) }] });
      assert.deepEqual(await messages(policies.iamNoWildcardAdmin, [role]), [
        'inlinePolicies[1].policy Statement[0] allows every action on Resource "*"; must name actions and resources',
      ]);
    });
    it("fails closed on a document it cannot read", async () => {
      assert.deepEqual(await messages(policies.noPublicResourcePolicy, [recorded(aws.opensearchDomainPolicy, "os", { accessPolicies: "not json" })]), [
        "accessPolicies is not a JSON policy document; must be one so it can be verified",
      ]);
      assert.deepEqual(await messages(policies.iamNoWildcardAdmin, [recorded(aws.iamPolicy, "loki", { policy: "[computed]" })]), [
        "policy is not a JSON policy document; must be one so it can be verified",
      ]);
    });
  });
});
