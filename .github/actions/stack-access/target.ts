/**
 * `ts-node .github/actions/stack-access/target.ts <stack>`: where a stack deploys, read from its committed stack file
 * (the file the program itself reads), printed as `key=value` lines for `$GITHUB_OUTPUT`: the AWS region, the EKS
 * cluster, and the AWS account that owns the cluster's IAM OIDC provider. The workflows take no region, cluster or
 * account of their own, so they cannot disagree with the stack.
 */
import { resolve } from "node:path";
import { readStackFile } from "../../../scripts/synth/stack-files";

export interface StackTarget {
  region: string;
  cluster: string;
  /** Absent for a stack with no IRSA provider (the `local` stack): the credentials are then not checked by account. */
  account?: string;
}

const projectDir = resolve(__dirname, "..", "..", "..");

/** The target of `stack`; throws naming the stack file and the missing key. */
export function stackTarget(stack: string, dir = projectDir): StackTarget {
  const cluster = readStackFile(dir, stack).values.cluster as { name?: string; region?: string; oidcProviderArn?: string } | undefined;
  for (const key of ["name", "region"] as const) {
    if (typeof cluster?.[key] !== "string") throw new Error(`Pulumi.${stack}.yaml: cluster.${key} must be set (a string), got ${JSON.stringify(cluster?.[key])}`);
  }
  const arn = cluster!.oidcProviderArn;
  const account = arn === undefined ? undefined : /^arn:aws[a-z-]*:iam::(\d{12}):oidc-provider\//.exec(arn)?.[1];
  if (arn !== undefined && !account) throw new Error(`Pulumi.${stack}.yaml: cluster.oidcProviderArn "${arn}" names no 12-digit account`);
  return { region: cluster!.region!, cluster: cluster!.name!, ...(account ? { account } : {}) };
}

/** The target as step-output lines. */
export function outputLines(target: StackTarget): string {
  return `region=${target.region}\ncluster=${target.cluster}\naccount=${target.account ?? ""}\n`;
}

if (require.main === module) {
  const stack = process.argv[2];
  if (!stack) {
    console.error("usage: target.ts <stack>");
    process.exit(2);
  }
  process.stdout.write(outputLines(stackTarget(stack)));
}
