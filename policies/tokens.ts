/**
 * Pulumi type tokens the pack inspects, copied from the `__pulumiType` of @pulumi/kubernetes 4.34 and @pulumi/aws 7.48.
 *
 * The pack matches on tokens instead of importing the provider SDKs: the analyzer type-checks the pack with ts-node on
 * every `pulumi preview`, and the provider typings would add many seconds to that start-up for no behavioural gain.
 */
function rbacTokens(kinds: string[]): string[] {
  return ["v1", "v1beta1", "v1alpha1"].flatMap((v) =>
    kinds.flatMap((k) => [`kubernetes:rbac.authorization.k8s.io/${v}:${k}`, `kubernetes:rbac.authorization.k8s.io/${v}:${k}Patch`]),
  );
}

export const k8s = {
  namespace: "kubernetes:core/v1:Namespace",
  configMap: "kubernetes:core/v1:ConfigMap",
  service: "kubernetes:core/v1:Service",
  pod: "kubernetes:core/v1:Pod",
  podTemplate: "kubernetes:core/v1:PodTemplate",
  persistentVolumeClaim: "kubernetes:core/v1:PersistentVolumeClaim",
  replicationController: "kubernetes:core/v1:ReplicationController",
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  daemonSet: "kubernetes:apps/v1:DaemonSet",
  replicaSet: "kubernetes:apps/v1:ReplicaSet",
  job: "kubernetes:batch/v1:Job",
  cronJob: "kubernetes:batch/v1:CronJob",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  podDisruptionBudget: "kubernetes:policy/v1:PodDisruptionBudget",
  storageClass: "kubernetes:storage.k8s.io/v1:StorageClass",
  /**
   * Every kind whose pod template sits at `spec.template.spec`, in every API version @pulumi/kubernetes 4.34 can still
   * register (the beta ones are long gone from clusters, but a program can still declare them).
   */
  templateWorkloads: [
    "kubernetes:core/v1:ReplicationController",
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:apps/v1:ReplicaSet",
    "kubernetes:apps/v1beta1:Deployment",
    "kubernetes:apps/v1beta1:StatefulSet",
    "kubernetes:apps/v1beta2:Deployment",
    "kubernetes:apps/v1beta2:StatefulSet",
    "kubernetes:apps/v1beta2:DaemonSet",
    "kubernetes:apps/v1beta2:ReplicaSet",
    "kubernetes:extensions/v1beta1:Deployment",
    "kubernetes:extensions/v1beta1:DaemonSet",
    "kubernetes:extensions/v1beta1:ReplicaSet",
    "kubernetes:batch/v1:Job",
  ],
  cronJobs: ["kubernetes:batch/v1:CronJob", "kubernetes:batch/v1beta1:CronJob", "kubernetes:batch/v2alpha1:CronJob"],
  /** Roles and bindings in every RBAC API version, with their Patch variants. */
  roles: rbacTokens(["Role", "ClusterRole"]),
  bindings: rbacTokens(["RoleBinding", "ClusterRoleBinding"]),
  role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
  clusterRole: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
  roleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
  clusterRoleBinding: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
} as const;

/** AWS v7 tokens. The deprecated `*V2` S3 aliases are still registrable in v7, so they are matched too. */
export const aws = {
  s3Bucket: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"],
  s3Encryption: [
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  ],
  s3Versioning: ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"],
  s3PublicAccessBlock: ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"],
  s3BucketPolicy: ["aws:s3/bucketPolicy:BucketPolicy"],
  rdsInstance: "aws:rds/instance:Instance",
  rdsCluster: "aws:rds/cluster:Cluster",
  rdsParameterGroup: "aws:rds/parameterGroup:ParameterGroup",
  opensearchDomain: "aws:opensearch/domain:Domain",
  opensearchDomainPolicy: "aws:opensearch/domainPolicy:DomainPolicy",
  kmsKey: "aws:kms/key:Key",
  iamPolicy: "aws:iam/policy:Policy",
  iamRolePolicy: "aws:iam/rolePolicy:RolePolicy",
  iamUserPolicy: "aws:iam/userPolicy:UserPolicy",
  iamGroupPolicy: "aws:iam/groupPolicy:GroupPolicy",
  iamRole: "aws:iam/role:Role",
  iamRolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  iamUserPolicyAttachment: "aws:iam/userPolicyAttachment:UserPolicyAttachment",
  iamGroupPolicyAttachment: "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
  iamPolicyAttachment: "aws:iam/policyAttachment:PolicyAttachment",
  iamRolePolicyAttachmentsExclusive: "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
  iamUserPolicyAttachmentsExclusive: "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
  iamGroupPolicyAttachmentsExclusive: "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
  ssoManagedPolicyAttachment: "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment",
  ssoPermissionSetInlinePolicy: "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy",
  s3Lifecycle: [
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
  ],
} as const;
