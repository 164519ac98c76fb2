/**
 * Pulumi type tokens the pack inspects, copied from the `__pulumiType` of @pulumi/kubernetes 4.34 and @pulumi/aws 7.48.
 *
 * The pack matches on tokens instead of importing the provider SDKs: the analyzer type-checks the pack with ts-node on
 * every `pulumi preview`, and the provider typings would add many seconds to that start-up for no behavioural gain.
 */
export const k8s = {
  namespace: "kubernetes:core/v1:Namespace",
  configMap: "kubernetes:core/v1:ConfigMap",
  service: "kubernetes:core/v1:Service",
  pod: "kubernetes:core/v1:Pod",
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
} as const;
