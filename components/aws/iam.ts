/** IAM documents shared by the tiers that give a Kubernetes workload an AWS role. */

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | { AWS?: string | string[]; Federated?: string; Service?: string };
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/**
 * IRSA trust: only the given ServiceAccount of the given namespace, presenting a token the cluster's OIDC provider
 * minted for the STS audience, may assume the role.
 */
export function irsaTrustPolicy(oidcProviderArn: string, oidcProviderUrl: string, namespace: string, serviceAccount: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AssumeFromServiceAccount",
        Effect: "Allow",
        Principal: { Federated: oidcProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${oidcProviderUrl}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
            [`${oidcProviderUrl}:aud`]: "sts.amazonaws.com",
          },
        },
      },
    ],
  };
}
