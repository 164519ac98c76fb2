import * as pulumi from "@pulumi/pulumi";
import { Role } from "@pulumi/aws/iam/role";
import { RolePolicy } from "@pulumi/aws/iam/rolePolicy";
import { Alias } from "@pulumi/aws/kms/alias";
import { Key } from "@pulumi/aws/kms/key";
import { Domain } from "@pulumi/aws/opensearch/domain";
import { DomainPolicy } from "@pulumi/aws/opensearch/domainPolicy";
import { SecurityGroup } from "@pulumi/aws/ec2/securityGroup";
import { SecurityGroupIngressRule } from "@pulumi/aws/vpc/securityGroupIngressRule";
import type { StackConfig } from "../../config";
import { irsaTrustPolicy } from "../aws/iam";
import { protectionOptions } from "../k8s/protection";
import type { OpenSearchStorage } from "../../config/tracing";

/** The one ServiceAccount (tracing namespace) whose pods may read and write the trace domain. */
export const jaegerServiceAccount = "jaeger";

/** The TLS policy of the domain endpoint: TLS 1.2 or newer with forward-secret ciphers only. */
export const tlsSecurityPolicy = "Policy-Min-TLS-1-2-PFS-2023-10";

/** The HTTP actions Jaeger needs on the domain: reads, index/template management and bulk writes. */
export const openSearchActions = ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut", "es:ESHttpDelete"];

/** The role's permissions: the OpenSearch HTTP actions, on the paths of this one domain only. */
export function domainAccessPolicy(domainArn: string) {
  return {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: openSearchActions, Resource: `${domainArn}/*` }],
  };
}

/** The domain's resource policy: the Jaeger role is the only principal, on this domain's paths only. */
export function domainResourcePolicy(domainArn: string, roleArn: string) {
  return {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { AWS: roleArn }, Action: openSearchActions, Resource: `${domainArn}/*` }],
  };
}

export interface OpenSearchStore {
  /** The domain's VPC endpoint host name (no scheme). */
  endpoint: pulumi.Output<string>;
  domainArn: pulumi.Output<string>;
  /** The IRSA role the Jaeger ServiceAccount assumes. */
  roleArn: pulumi.Output<string>;
}

export interface OpenSearchArgs {
  store: OpenSearchStorage;
  /** The cluster's OIDC provider, which the Jaeger role trusts (IRSA). */
  cluster: Pick<StackConfig["cluster"], "oidcProviderArn" | "oidcProviderUrl">;
  /** Where the Jaeger ServiceAccount lives. */
  namespace: string;
  /** Protect the domain and its key from deletion and replacement (see `protectsData`). */
  protect: boolean;
}

/**
 * The trace store of prod: an Amazon OpenSearch Service domain in the cluster's VPC, spread over two or three zones with
 * zone awareness, encrypted at rest with its own rotating KMS key and node to node, HTTPS only with TLS 1.2+, reachable
 * on 443 from the configured client CIDRs only, and open to exactly one IAM principal: the IRSA role of the Jaeger
 * ServiceAccount (fine-grained access control maps that role as the master user; no internal users, no anonymous access).
 */
export function deployOpenSearch(name: string, { store, cluster, namespace, protect }: OpenSearchArgs, parent: pulumi.Resource): OpenSearchStore {
  const keep = protectionOptions(protect, parent);
  const tags = { "observability.sigma.dev/tier": "tracing" };
  const { oidcProviderArn, oidcProviderUrl } = cluster;
  if (!oidcProviderArn || !oidcProviderUrl) {
    throw new Error("cluster.oidcProviderArn and cluster.oidcProviderUrl are required for the OpenSearch trace store (IRSA)");
  }

  const key = new Key(
    `${name}-os-key`,
    {
      description: `Encrypts the ${store.domainName} trace store at rest`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      tags,
    },
    keep,
  );
  new Alias(`${name}-os-key-alias`, { name: `alias/${store.domainName}`, targetKeyId: key.keyId }, { parent });

  const securityGroup = new SecurityGroup(
    `${name}-os-sg`,
    {
      name: `${store.domainName}-opensearch`,
      description: `HTTPS from the cluster to the ${store.domainName} trace store`,
      vpcId: store.vpc.vpcId,
      revokeRulesOnDelete: true,
      tags,
    },
    { parent },
  );
  store.vpc.clientCidrs.forEach((cidrIpv4, i) => {
    new SecurityGroupIngressRule(
      `${name}-os-https-${i}`,
      { securityGroupId: securityGroup.id, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4, description: "Jaeger pods (HTTPS)" },
      { parent },
    );
  });

  const role = new Role(
    `${name}-jaeger-role`,
    {
      name: `${store.domainName}-jaeger`,
      description: `IRSA role of ${namespace}/${jaegerServiceAccount}: Jaeger's access to the ${store.domainName} trace store`,
      assumeRolePolicy: JSON.stringify(irsaTrustPolicy(oidcProviderArn, oidcProviderUrl, namespace, jaegerServiceAccount)),
      tags,
    },
    { parent },
  );

  const domain = new Domain(
    `${name}-os-domain`,
    {
      domainName: store.domainName,
      engineVersion: store.engineVersion,
      clusterConfig: {
        instanceType: store.instanceType,
        instanceCount: store.instanceCount,
        zoneAwarenessEnabled: true,
        zoneAwarenessConfig: { availabilityZoneCount: store.zoneCount },
        dedicatedMasterEnabled: store.dedicatedMasters,
        ...(store.dedicatedMasters ? { dedicatedMasterType: store.dedicatedMasterType, dedicatedMasterCount: 3 } : {}),
      },
      ebsOptions: { ebsEnabled: true, volumeType: "gp3", volumeSize: store.volumeGiB },
      encryptAtRest: { enabled: true, kmsKeyId: key.arn },
      nodeToNodeEncryption: { enabled: true },
      domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy },
      advancedSecurityOptions: {
        enabled: true,
        anonymousAuthEnabled: false,
        internalUserDatabaseEnabled: false,
        masterUserOptions: { masterUserArn: role.arn },
      },
      vpcOptions: { subnetIds: store.vpc.subnetIds, securityGroupIds: [securityGroup.id, ...store.vpc.securityGroupIds] },
      softwareUpdateOptions: { autoSoftwareUpdateEnabled: true },
      tags,
    },
    keep,
  );

  new DomainPolicy(
    `${name}-os-domain-policy`,
    {
      domainName: domain.domainName,
      accessPolicies: pulumi.jsonStringify(
        pulumi.all([domain.arn, role.arn]).apply(([domainArn, roleArn]) => domainResourcePolicy(domainArn, roleArn)),
      ),
    },
    { parent },
  );
  new RolePolicy(
    `${name}-jaeger-role-policy`,
    { role: role.id, name: "opensearch-traces", policy: pulumi.jsonStringify(domain.arn.apply(domainAccessPolicy)) },
    { parent },
  );

  return { endpoint: domain.endpoint, domainArn: domain.arn, roleArn: role.arn };
}
