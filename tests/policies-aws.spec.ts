import assert from "node:assert/strict";
import type { Policies } from "@pulumi/policy";
import * as policies from "../policies/aws";
import { type RecordedResource, runPolicies } from "../policies/offline";
import * as iam from "../policies/iam";
import * as lifecycle_ from "../policies/lifecycle";
import { aws, k8s } from "../policies/tokens";
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

describe("policies: IAM by every door", () => {
  const doc = (statement: Json) => JSON.stringify({ Version: "2012-10-17", Statement: [statement] });
  const scoped = { Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::b/*" };

  it("aws-iam-no-wildcard-admin reads user, group and permission-set documents and *:*", async () => {
    const admin = doc({ Effect: "Allow", Action: "*:*", Resource: "*" });
    const found = await messages(policies.iamNoWildcardAdmin, [
      recorded(aws.iamUserPolicy, "u", { user: "ci", policy: admin }),
      recorded(aws.iamGroupPolicy, "g", { group: "ops", policy: doc(scoped) }),
      recorded(aws.ssoPermissionSetInlinePolicy, "ps", { instanceArn: "i", permissionSetArn: "p", inlinePolicy: admin }),
    ]);
    assert.deepEqual(found, [
      'policy Statement[0] allows every action on Resource "*"; must name actions and resources',
      'inlinePolicy Statement[0] allows every action on Resource "*"; must name actions and resources',
    ]);
  });

  it("aws-iam-least-privilege accepts named actions on ARNs and names every broader grant with its grantee", async () => {
    assert.deepEqual(await messages(iam.iamLeastPrivilege, [recorded(aws.iamRolePolicy, "p", { role: "loki", policy: doc(scoped) })]), []);
    const broad = JSON.stringify({
      Statement: [
        { Sid: "All", Effect: "Allow", Action: ["s3:*", "iam:Get*"], Resource: "arn:aws:s3:::b" },
        { Effect: "Allow", Action: "iam:PassRole", Resource: "*" },
        { Effect: "Allow", Action: "s3:GetObject", NotResource: "arn:aws:s3:::other/*" },
        { Effect: "Deny", Action: "*", Resource: "*" },
      ],
    });
    assert.deepEqual(await messages(iam.iamLeastPrivilege, [recorded(aws.iamRolePolicy, "p", { role: "loki", policy: broad })]), [
      'policy Statement[0] (Sid "All") granted to role "loki": Action "s3:*" is every s3 action; must list the actions it needs (e.g. "s3:GetObject")',
      'policy Statement[0] (Sid "All") granted to role "loki": Action "iam:Get*" is a wildcard over iam actions, which can grant or assume other permissions; must list the actions it needs (e.g. "s3:GetObject")',
      'policy Statement[1] granted to role "loki": Resource "*" for ["iam:PassRole"] (iam:passrole on "*" reaches every role and account); must name resource ARNs (actions configured to need "*": none)',
      'policy Statement[2] granted to role "loki": NotResource "arn:aws:s3:::other/*" allows every resource except those; must list resource ARNs in Resource',
    ]);
    const config = { "aws-iam-least-privilege": { anyResourceActions: ["sts:GetCallerIdentity"] } };
    const whoami = recorded(aws.iamPolicy, "who", { name: "who", policy: doc({ Effect: "Allow", Action: "sts:GetCallerIdentity", Resource: "*" }) });
    assert.deepEqual(await violationMessages(iam.iamLeastPrivilege, [whoami], { config }), []);
  });

  it("aws-iam-least-privilege refuses a role anyone may assume", async () => {
    const role = recorded(aws.iamRole, "r", { name: "loki", assumeRolePolicy: doc({ Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" }) });
    assert.deepEqual(await messages(iam.iamLeastPrivilege, [role]), [
      'assumeRolePolicy Statement[0] of role "loki" lets Principal "*" assume it without a Condition; must name the principal (e.g. the cluster\'s OIDC provider)',
    ]);
  });

  it("aws-iam-no-broad-managed-policies checks every attachment type and allows only listed non-admin AWS-managed policies", async () => {
    const resources = [
      recorded(aws.iamRolePolicyAttachment, "a", { role: "loki", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }),
      recorded(aws.iamUserPolicyAttachment, "b", { user: "ci", policyArn: "arn:aws:iam::123456789012:policy/ours" }),
      recorded(aws.iamGroupPolicyAttachmentsExclusive, "c", { groupName: "ops", policyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"] }),
      recorded(aws.iamRole, "d", { name: "jaeger", assumeRolePolicy: "{}", managedPolicyArns: ["arn:aws:iam::aws:policy/IAMFullAccess"] }),
      recorded(aws.ssoManagedPolicyAttachment, "e", { instanceArn: "i", permissionSetArn: "p", managedPolicyArn: "arn:aws:iam::aws:policy/PowerUserAccess" }),
    ];
    const config = { "aws-iam-no-broad-managed-policies": { allowedManagedPolicies: ["ReadOnlyAccess", "PowerUserAccess"] } };
    const allowed = 'must be a customer-managed policy naming its resources (allowed AWS-managed policies: "ReadOnlyAccess", "PowerUserAccess")';
    assert.deepEqual(await violationMessages(iam.iamNoAdminManagedPolicies, resources, { config }), [
      `policyArn attaches "arn:aws:iam::aws:policy/AdministratorAccess" to role "loki": an administrator policy, never allowed; ${allowed}`,
      `policyArns[1] attaches "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess" to group "ops": an AWS-managed policy with account-wide scope; ${allowed}`,
      `managedPolicyArns[0] attaches "arn:aws:iam::aws:policy/IAMFullAccess" to role "jaeger": an administrator policy, never allowed; ${allowed}`,
      `managedPolicyArn attaches "arn:aws:iam::aws:policy/PowerUserAccess" to an IAM Identity Center permission set: an administrator policy, never allowed; ${allowed}`,
    ]);
  });
});

describe("aws-s3-lifecycle-outlasts-retention", () => {
  const bucket = recorded(aws.s3Bucket[0], "chunks", { bucket: "logs" }, true);
  const rule = (over: Json = {}) => ({ id: "chunks", status: "Enabled", filter: { prefix: "fake/" }, expiration: { days: 373 }, noncurrentVersionExpiration: { noncurrentDays: 30 }, ...over });
  const lifecycle = (...rules: Json[]) => recorded(aws.s3Lifecycle[0], "archive-lifecycle", { bucket: "logs", rules });
  const loki = (period: string, extra = "") =>
    recorded(k8s.configMap, "loki-config", {
      metadata: { name: "loki-config", namespace: "logging" },
      data: { "loki.yaml": `storage_config:\n  aws:\n    bucketnames: logs\ncompactor:\n  retention_enabled: true\n  retention_delete_delay: 2h\nlimits_config:\n  retention_period: ${period}\n${extra}` },
    });

  it("holds a stack without a Loki config to prod's retention, as the config validator does (more than 365d + 2h)", async () => {
    assert.deepEqual(await messages(lifecycle_.s3LifecycleOutlastsRetention, [bucket, lifecycle(rule({ expiration: { days: 366 } }))]), []);
    assert.deepEqual(await messages(lifecycle_.s3LifecycleOutlastsRetention, [bucket, lifecycle(rule({ expiration: { days: 365 } }))]), [
      'bucket "logs" BucketLifecycleConfiguration "archive-lifecycle" rules[0].expiration.days is 365; must be more than 365 days: retention 365d + delete delay 2h (the default, prod\'s) = 365.08 days, and S3 must not expire chunks first',
    ]);
  });

  it("takes the retention from the stack's Loki config (longest stream), else from policy config as a floor", async () => {
    const streams = "  retention_stream:\n    - selector: '{team=\"audit\"}'\n      priority: 1\n      period: 90d\n";
    assert.deepEqual(await messages(lifecycle_.s3LifecycleOutlastsRetention, [bucket, loki("720h"), lifecycle(rule({ expiration: { days: 38 } }))]), []);
    assert.deepEqual(await messages(lifecycle_.s3LifecycleOutlastsRetention, [bucket, loki("720h", streams), lifecycle(rule({ expiration: { days: 38 } }))]), [
      'bucket "logs" BucketLifecycleConfiguration "archive-lifecycle" rules[0].expiration.days is 38; must be more than 90 days: Loki config "loki-config/loki.yaml" (longest retention + retention_delete_delay = 90.08 days), and S3 must not expire chunks first',
    ]);
    const config = { "aws-s3-lifecycle-outlasts-retention": { retentionPeriod: "60d", deleteDelay: "1d" } };
    assert.deepEqual(await violationMessages(lifecycle_.s3LifecycleOutlastsRetention, [bucket, loki("720h"), lifecycle(rule({ expiration: { days: 45 } }))], { config }), [
      'bucket "logs" BucketLifecycleConfiguration "archive-lifecycle" rules[0].expiration.days is 45; must be more than 61 days: retention 60d + delete delay 1d (policy config) = 61 days, and S3 must not expire chunks first',
    ]);
  });

  it("flags dates, short recovery windows, V2 and inline rules, and ignores disabled ones", async () => {
    const v2 = recorded(aws.s3Lifecycle[1], "v2", { bucket: "logs", rules: [rule({ expiration: { date: "2026-01-01T00:00:00Z" }, noncurrentVersionExpiration: { noncurrentDays: 1 } })] });
    const inline = recorded(aws.s3Bucket[0], "chunks", { bucket: "logs", lifecycleRules: [{ enabled: true, expiration: { days: 7 } }, { enabled: false, expiration: { days: 1 } }] }, true);
    const found = await messages(lifecycle_.s3LifecycleOutlastsRetention, [inline, v2, lifecycle(rule({ status: "Disabled", expiration: { days: 1 } }))]);
    assert.deepEqual(found.map((m) => m.split(";")[0]), [
      'bucket "logs" BucketLifecycleConfigurationV2 "v2" rules[0].expiration.date is "2026-01-01T00:00:00Z"',
      'bucket "logs" BucketLifecycleConfigurationV2 "v2" rules[0].noncurrentVersionExpiration.noncurrentDays is 1',
      'bucket "logs" Bucket "chunks" lifecycleRules[0].expiration.days is 7',
    ]);
  });

  it("refuses any expiry when Loki never deletes (compactor retention off)", async () => {
    const forever = recorded(k8s.configMap, "loki-config", { metadata: { name: "loki-config" }, data: { "loki.yaml": "storage_config:\n  aws:\n    bucketnames: logs\nlimits_config:\n  retention_period: 0s\n" } });
    assert.equal((await messages(lifecycle_.s3LifecycleOutlastsRetention, [bucket, forever, lifecycle(rule({ expiration: { days: 3650 } }))])).length, 1);
  });
});
