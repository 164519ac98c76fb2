import * as pulumi from "@pulumi/pulumi";

/**
 * Mocks that answer like the providers do: every input echoed back, plus the fields the provider would compute, in
 * their real shapes (ARNs, endpoints, ids). Every computed value is remembered so the render can print it as
 * "[computed]" rather than pretend to know it.
 */
export class ProviderMocks implements pulumi.runtime.Mocks {
  /** Values the mocks invented; none of them is known before the provider runs. */
  readonly computed = new Set<string>();
  private readonly account = "123456789012";
  private counter = 0;

  constructor(private readonly region: string) {}

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, any> } {
    if (!args.custom) return { id: undefined, state: {} };
    const fields = this.computedFields(args.type, args.name, unwrap(args.inputs));
    const id = fields.id ?? this.remember(`${args.name}-${(++this.counter).toString(16).padStart(8, "0")}`);
    delete fields.id;
    return { id, state: { ...args.inputs, ...fields } };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
    switch (args.token) {
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return { accountId: this.account, arn: `arn:aws:iam::${this.account}:root`, userId: this.account, id: this.account };
      case "aws:index/getRegion:getRegion":
        return { name: this.region, region: this.region, id: this.region };
      case "aws:index/getPartition:getPartition":
        return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
      default:
        throw new Error(`the offline render has no mock for the provider function ${args.token}`);
    }
  }

  private remember(value: string): string {
    this.computed.add(value);
    return value;
  }

  private arn(service: string, resource: string, regional = true): string {
    return this.remember(`arn:aws:${service}:${regional ? this.region : ""}:${service === "s3" ? "" : this.account}:${resource}`);
  }

  /** Fields a provider computes for a type; inputs the user set are never overwritten. */
  private computedFields(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
    const hex = (++this.counter).toString(16).padStart(8, "0");
    if (type.startsWith("kubernetes:")) {
      const meta = inputs.metadata ?? {};
      return { id: meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name ?? name, status: {} };
    }
    switch (type) {
      case "aws:kms/key:Key":
        return { id: this.remember(`${hex}-6d2c-4b0e-9a57-${hex}0000`), arn: this.arn("kms", `key/${hex}-6d2c-4b0e-9a57-${hex}0000`), keyId: `${hex}-6d2c-4b0e-9a57-${hex}0000` };
      case "aws:kms/alias:Alias":
        return { arn: this.arn("kms", inputs.name ?? `alias/${name}`) };
      case "aws:s3/bucket:Bucket": {
        const bucket = inputs.bucket ?? name;
        return {
          id: bucket,
          arn: this.remember(`arn:aws:s3:::${bucket}`),
          bucketDomainName: `${bucket}.s3.amazonaws.com`,
          bucketRegionalDomainName: `${bucket}.s3.${this.region}.amazonaws.com`,
          region: this.region,
        };
      }
      case "aws:iam/role:Role":
        return { arn: this.arn("iam", `role/${inputs.name ?? name}`, false), uniqueId: this.remember(`AROA${hex.toUpperCase()}EXAMPLE`) };
      case "aws:iam/policy:Policy":
        return { arn: this.arn("iam", `policy/${inputs.name ?? name}`, false), policyId: this.remember(`ANPA${hex.toUpperCase()}EXAMPLE`) };
      case "aws:rds/instance:Instance": {
        const host = this.remember(`${inputs.identifier ?? name}.c${hex}.${this.region}.rds.amazonaws.com`);
        return { arn: this.arn("rds", `db:${inputs.identifier ?? name}`), address: host, endpoint: this.remember(`${host}:5432`), port: 5432 };
      }
      case "aws:rds/subnetGroup:SubnetGroup":
      case "aws:rds/parameterGroup:ParameterGroup":
        return { id: inputs.name ?? name, arn: this.arn("rds", `${type.includes("subnet") ? "subgrp" : "pg"}:${inputs.name ?? name}`) };
      case "aws:ec2/securityGroup:SecurityGroup":
        return { id: this.remember(`sg-0${hex}${hex}`), arn: this.arn("ec2", `security-group/sg-0${hex}${hex}`) };
      case "aws:opensearch/domain:Domain": {
        const domain = inputs.domainName ?? name;
        return {
          arn: this.arn("es", `domain/${domain}`),
          domainId: this.remember(`${this.account}/${domain}`),
          endpoint: this.remember(`vpc-${domain}-${hex}.${this.region}.es.amazonaws.com`),
        };
      }
      case "random:index/randomPassword:RandomPassword": {
        const length = inputs.length ?? 32;
        return { result: this.remember(`offline-${hex}`.padEnd(length, "x")), bcryptHash: this.remember(`$2a$10$${hex}`) };
      }
      default:
        return type.startsWith("aws:") ? { arn: this.arn(type.split(":")[1].split("/")[0], name) } : {};
    }
  }
}

const secretSig = "4dabf18193072939515e22adb298388d";

/** Inputs with Pulumi's secret wrappers removed, for reading fields. */
export function unwrap(value: any): any {
  if (Array.isArray(value)) return value.map(unwrap);
  if (value && typeof value === "object") {
    if (secretSig in value) return unwrap(value.value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
  }
  return value;
}

/** True when a deserialised input is a secret wrapper. */
export function isSecretWrapper(value: any): boolean {
  return Boolean(value && typeof value === "object" && secretSig in value);
}
