import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import {
  type Props,
  describe,
  environmentProperty,
  forTypes,
  isOneOf,
  list,
  productionEnvironment,
  record,
  resolveEnvironment,
  str,
} from "./common";
import { aws } from "./tokens";

/** An S3 bucket of the stack with the separate v7 setting resources (linked by bucket name) that apply to it. */
interface BucketView {
  resource: PolicyResource;
  name: string;
  settings: (types: readonly string[]) => Props[];
}

/**
 * Joins every bucket with its setting resources. In provider v7 encryption, versioning, public access block and
 * bucket policy are separate resources whose `bucket` input is the bucket name, which the program sets explicitly.
 */
function bucketsOf(resources: PolicyResource[], reportViolation: ReportViolation): BucketView[] {
  const byBucket = new Map<string, PolicyResource[]>();
  for (const r of resources) {
    const bucket = str(r.props.bucket);
    if (bucket !== undefined && !isOneOf(r.type, aws.s3Bucket)) {
      byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), r]);
    }
  }
  return resources
    .filter((r) => isOneOf(r.type, aws.s3Bucket))
    .flatMap((resource) => {
      const name = str(resource.props.bucket);
      if (!name) {
        reportViolation("bucket is unset; must be an explicit name so its v7 setting resources can be linked", resource.urn);
        return [];
      }
      const settings = (types: readonly string[]) =>
        (byBucket.get(name) ?? []).filter((r) => isOneOf(r.type, types)).map((r) => r.props);
      return [{ resource, name, settings }];
    });
}

function bucketStackPolicy(
  name: string,
  description: string,
  check: (bucket: BucketView, reportViolation: (message: string) => void) => void,
): StackValidationPolicy {
  return {
    name,
    description,
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      for (const bucket of bucketsOf(args.resources, reportViolation)) {
        check(bucket, (message) => reportViolation(`bucket ${describe(bucket.name)}: ${message}`, bucket.resource.urn));
      }
    },
  };
}

const kmsAlgorithms = ["aws:kms", "aws:kms:dsse"];

export const s3KmsEncryption = bucketStackPolicy(
  "aws-s3-kms-encryption",
  "Every S3 bucket encrypts objects by default with a customer-managed KMS key.",
  (bucket, reportViolation) => {
    const inline = record(record(bucket.resource.props.serverSideEncryptionConfiguration).rule);
    const rules = [...bucket.settings(aws.s3Encryption).flatMap((s) => list(s.rules)), ...(Object.keys(inline).length ? [inline] : [])];
    if (rules.length === 0) {
      reportViolation('no BucketServerSideEncryptionConfiguration; must set sseAlgorithm "aws:kms" with a kmsMasterKeyId');
      return;
    }
    for (const rule of rules) {
      const byDefault = record(record(rule).applyServerSideEncryptionByDefault);
      if (!kmsAlgorithms.includes(String(byDefault.sseAlgorithm))) {
        reportViolation(`sseAlgorithm is ${describe(byDefault.sseAlgorithm)}; must be "aws:kms" or "aws:kms:dsse"`);
      } else if (!byDefault.kmsMasterKeyId) {
        reportViolation("kmsMasterKeyId is unset (the AWS-managed aws/s3 key); must be a customer-managed KMS key");
      }
    }
  },
);

export const s3Versioning = bucketStackPolicy(
  "aws-s3-versioning",
  "Every S3 bucket has versioning enabled, so an overwrite or delete can be undone.",
  (bucket, reportViolation) => {
    const statuses = bucket.settings(aws.s3Versioning).map((s) => record(s.versioningConfiguration).status);
    const inlineEnabled = record(bucket.resource.props.versioning).enabled === true;
    if (!inlineEnabled && !statuses.includes("Enabled")) {
      reportViolation(`BucketVersioning status is ${describe(statuses[0])}; must be "Enabled"`);
    }
  },
);

const publicAccessFlags = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

export const s3PublicAccessBlock = bucketStackPolicy(
  "aws-s3-public-access-block",
  "Every S3 bucket has a public access block with all four settings on.",
  (bucket, reportViolation) => {
    const [block] = bucket.settings(aws.s3PublicAccessBlock);
    if (!block) {
      reportViolation(`no BucketPublicAccessBlock; must set ${publicAccessFlags.join(", ")} to true`);
      return;
    }
    for (const flag of publicAccessFlags) {
      if (block[flag] !== true) {
        reportViolation(`BucketPublicAccessBlock.${flag} is ${describe(block[flag])}; must be true`);
      }
    }
  },
);

/** A policy document as an object: v7 accepts a JSON string or an object. */
export function parsePolicyDocument(policy: unknown): Props | undefined {
  if (typeof policy === "string") {
    try {
      return record(JSON.parse(policy));
    } catch {
      return undefined;
    }
  }
  return policy !== null && typeof policy === "object" ? record(policy) : undefined;
}

/** The statements of a policy document (a single statement object counts as one). */
export function statementsOf(document: Props): Props[] {
  return (Array.isArray(document.Statement) ? document.Statement : [document.Statement]).map(record);
}

/** A string-or-list IAM field as a list of strings. */
export function asStrings(value: unknown): string[] {
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === "string");
}

/** Whether a Principal is everyone (`"*"` or `{ AWS: "*" }`). */
export function isEveryone(principal: unknown): boolean {
  return principal === "*" || asStrings(record(principal).AWS).includes("*");
}

/** The standard "deny non-TLS" statement: Deny, everyone, all S3 actions, bucket and objects, aws:SecureTransport false. */
export function deniesInsecureTransport(statement: Props): boolean {
  const secureTransport = record(record(statement.Condition).Bool)["aws:SecureTransport"];
  const resources = asStrings(statement.Resource);
  return (
    statement.Effect === "Deny" &&
    isEveryone(statement.Principal) &&
    asStrings(statement.Action).some((a) => a === "s3:*" || a === "*") &&
    (Array.isArray(secureTransport) ? secureTransport : [secureTransport]).some((v) => String(v) === "false") &&
    resources.some((r) => r.endsWith("/*")) &&
    resources.some((r) => !r.endsWith("/*"))
  );
}

export const s3DenyInsecureTransport = bucketStackPolicy(
  "aws-s3-deny-insecure-transport",
  "Every S3 bucket policy denies requests that do not use TLS (aws:SecureTransport false) on the bucket and its objects.",
  (bucket, reportViolation) => {
    const documents = [
      ...bucket.settings(aws.s3BucketPolicy).map((p) => p.policy),
      ...(bucket.resource.props.policy === undefined ? [] : [bucket.resource.props.policy]),
    ].map(parsePolicyDocument);
    const denies = documents.some((d) => d !== undefined && statementsOf(d).some(deniesInsecureTransport));
    if (!denies) {
      reportViolation(
        documents.length === 0
          ? 'no BucketPolicy; must deny s3:* for Principal "*" when aws:SecureTransport is "false"'
          : 'BucketPolicy has no statement denying s3:* on the bucket and its objects for Principal "*" when aws:SecureTransport is "false"',
      );
    }
  },
);

export const rdsStorageEncrypted: ResourceValidationPolicy = {
  name: "aws-rds-storage-encrypted",
  description: "Every RDS instance and cluster encrypts its storage.",
  enforcementLevel: "mandatory",
  validateResource: forTypes([aws.rdsInstance, aws.rdsCluster], (props, _args, reportViolation) => {
    if (props.storageEncrypted !== true) {
      reportViolation(`storageEncrypted is ${describe(props.storageEncrypted)}; must be true`);
    }
  }),
};

export const rdsNotPublic: ResourceValidationPolicy = {
  name: "aws-rds-not-public",
  description: "No RDS instance is publicly accessible.",
  enforcementLevel: "mandatory",
  validateResource: forTypes([aws.rdsInstance], (props, _args, reportViolation) => {
    if (props.publiclyAccessible === true) {
      reportViolation("publiclyAccessible is true; must be false or unset");
    }
  }),
};

interface EnvironmentConfig {
  environment?: string;
}

export const rdsDeletionProtection: ResourceValidationPolicy = {
  name: "aws-rds-deletion-protection",
  description: `Every RDS instance and cluster in ${productionEnvironment} has deletion protection on.`,
  enforcementLevel: "mandatory",
  configSchema: { properties: { environment: environmentProperty } },
  validateResource: forTypes([aws.rdsInstance, aws.rdsCluster], (props, args, reportViolation) => {
    const environment = resolveEnvironment(args.getConfig<EnvironmentConfig>().environment);
    if (environment !== productionEnvironment) {
      args.notApplicable(`environment ${describe(environment)} is not ${describe(productionEnvironment)}`);
    }
    if (props.deletionProtection !== true) {
      reportViolation(`deletionProtection is ${describe(props.deletionProtection)} in ${productionEnvironment}; must be true`);
    }
  }),
};

/** The parameter that makes each RDS engine refuse unencrypted connections, and the values that turn it on. */
const forceTlsParameters: Readonly<Record<string, { name: string; values: string[] }>> = {
  postgres: { name: "rds.force_ssl", values: ["1"] },
  mysql: { name: "require_secure_transport", values: ["1", "ON"] },
  mariadb: { name: "require_secure_transport", values: ["1", "ON"] },
};

export const rdsForceTls: StackValidationPolicy = {
  name: "aws-rds-force-tls",
  description: "Every RDS instance uses a parameter group of this stack that rejects connections without TLS.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const groups = args.resources.filter((r) => r.type === aws.rdsParameterGroup);
    for (const instance of args.resources.filter((r) => r.type === aws.rdsInstance)) {
      const report = (message: string) => reportViolation(message, instance.urn);
      const engine = String(instance.props.engine);
      const parameter = forceTlsParameters[engine];
      if (!parameter) {
        report(`engine ${describe(instance.props.engine)} is not one of ${Object.keys(forceTlsParameters).join(", ")}; TLS enforcement cannot be verified`);
        continue;
      }
      const groupName = str(instance.props.parameterGroupName);
      const group = groups.find((g) => g.props.name === groupName);
      if (!group) {
        report(
          `parameterGroupName is ${describe(groupName)}; must name a ParameterGroup of this stack that sets ${parameter.name} = "${parameter.values[0]}"`,
        );
        continue;
      }
      const value = list(group.props.parameters).map(record).find((p) => p.name === parameter.name)?.value;
      if (!parameter.values.includes(String(value))) {
        report(`parameter group ${describe(groupName)} sets ${parameter.name} to ${describe(value)}; must be "${parameter.values[0]}"`);
      }
    }
  },
};

const tls12Policies = ["Policy-Min-TLS-1-2-2019-07", "Policy-Min-TLS-1-2-PFS-2023-10"];

export const opensearchEncryption: ResourceValidationPolicy = {
  name: "aws-opensearch-encryption",
  description: "Every OpenSearch domain encrypts at rest and node-to-node, and enforces HTTPS with TLS 1.2 or newer.",
  enforcementLevel: "mandatory",
  validateResource: forTypes([aws.opensearchDomain], (props, _args, reportViolation) => {
    const endpoint = record(props.domainEndpointOptions);
    const checks: Array<[string, unknown, readonly unknown[]]> = [
      ["encryptAtRest.enabled", record(props.encryptAtRest).enabled, [true]],
      ["nodeToNodeEncryption.enabled", record(props.nodeToNodeEncryption).enabled, [true]],
      ["domainEndpointOptions.enforceHttps", endpoint.enforceHttps, [true]],
      ["domainEndpointOptions.tlsSecurityPolicy", endpoint.tlsSecurityPolicy, tls12Policies],
    ];
    for (const [path, value, allowed] of checks) {
      if (!allowed.includes(value)) {
        reportViolation(`${path} is ${describe(value)}; must be ${allowed.map((a) => JSON.stringify(a)).join(" or ")}`);
      }
    }
  }),
};

export const kmsKeyRotation: ResourceValidationPolicy = {
  name: "aws-kms-key-rotation",
  description: "Every symmetric KMS key rotates its key material automatically.",
  enforcementLevel: "mandatory",
  validateResource: forTypes([aws.kmsKey], (props, args, reportViolation) => {
    const spec = props.customerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
    if (spec !== "SYMMETRIC_DEFAULT") {
      args.notApplicable(`AWS rotates only symmetric encryption keys; this key is ${describe(spec)}`);
    }
    if (props.enableKeyRotation !== true) {
      reportViolation(`enableKeyRotation is ${describe(props.enableKeyRotation)}; must be true`);
    }
  }),
};

/** Statements that grant every action on every resource (Action "*" or "*:*" or NotAction, with Resource "*" or NotResource). */
export function adminStatements(document: Props): number[] {
  return statementsOf(document).flatMap((statement, index) => {
    const everyAction = asStrings(statement.Action).some((a) => a === "*" || a === "*:*") || statement.NotAction !== undefined;
    const everyResource = asStrings(statement.Resource).includes("*") || statement.NotResource !== undefined;
    return statement.Effect === "Allow" && everyAction && everyResource ? [index] : [];
  });
}

/**
 * Every policy document an IAM-carrying resource holds, by the field it sits in: standalone and inline policies of
 * roles, users and groups, a Role's `inlinePolicies`, and an IAM Identity Center permission set's inline policy.
 */
export function iamDocumentsOf(type: string, props: Props): Array<[string, unknown]> {
  if (type === aws.iamRole) return list(props.inlinePolicies).map((p, i) => [`inlinePolicies[${i}].policy`, record(p).policy]);
  if (type === aws.ssoPermissionSetInlinePolicy) return [["inlinePolicy", props.inlinePolicy]];
  return [["policy", props.policy]];
}

/** Type tokens of every resource whose inputs carry an identity policy document. */
export const iamDocumentTypes: readonly string[] = [
  aws.iamPolicy,
  aws.iamRolePolicy,
  aws.iamUserPolicy,
  aws.iamGroupPolicy,
  aws.iamRole,
  aws.ssoPermissionSetInlinePolicy,
];

export const iamNoWildcardAdmin: ResourceValidationPolicy = {
  name: "aws-iam-no-wildcard-admin",
  description: 'No IAM policy (standalone, inline on a role, user or group, or a permission set\'s) allows Action "*" (or NotAction) on Resource "*".',
  enforcementLevel: "mandatory",
  validateResource: forTypes(iamDocumentTypes, (props, args, reportViolation) => {
    for (const [path, raw] of iamDocumentsOf(args.type, props)) {
      const document = parsePolicyDocument(raw);
      if (!document) {
        reportViolation(`${path} is not a JSON policy document; must be one so it can be verified`);
        continue;
      }
      for (const index of adminStatements(document)) {
        reportViolation(`${path} Statement[${index}] allows every action on Resource "*"; must name actions and resources`);
      }
    }
  }),
};

/** Statements that let anyone in (Allow, Principal "*") with no condition narrowing who or from where. */
export function publicStatements(document: Props): number[] {
  return statementsOf(document).flatMap((statement, index) =>
    statement.Effect === "Allow" && isEveryone(statement.Principal) && statement.Condition === undefined ? [index] : [],
  );
}

export const noPublicResourcePolicy: ResourceValidationPolicy = {
  name: "aws-no-public-resource-policy",
  description: 'No resource policy (S3 bucket, OpenSearch domain, KMS key) allows Principal "*" without a condition.',
  enforcementLevel: "mandatory",
  validateResource: forTypes(
    [...aws.s3BucketPolicy, aws.opensearchDomainPolicy, aws.opensearchDomain, aws.kmsKey],
    (props, args, reportViolation) => {
      const field = args.type === aws.opensearchDomainPolicy || args.type === aws.opensearchDomain ? "accessPolicies" : "policy";
      if (props[field] === undefined) {
        return;
      }
      const document = parsePolicyDocument(props[field]);
      if (!document) {
        reportViolation(`${field} is not a JSON policy document; must be one so it can be verified`);
        return;
      }
      for (const index of publicStatements(document)) {
        reportViolation(`${field} Statement[${index}] allows Principal "*" without a Condition; must name principals or add a condition`);
      }
    },
  ),
};

export const awsResourcePolicies: ResourceValidationPolicy[] = [
  rdsStorageEncrypted,
  rdsNotPublic,
  rdsDeletionProtection,
  opensearchEncryption,
  kmsKeyRotation,
  iamNoWildcardAdmin,
  noPublicResourcePolicy,
];

export const awsStackPolicies: StackValidationPolicy[] = [
  s3KmsEncryption,
  s3Versioning,
  s3PublicAccessBlock,
  s3DenyInsecureTransport,
  rdsForceTls,
];
