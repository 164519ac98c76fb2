import { ParameterGroup } from "@pulumi/aws/rds/parameterGroup";
import { Instance } from "@pulumi/aws/rds/instance";
import { SubnetGroup } from "@pulumi/aws/rds/subnetGroup";
import { SecurityGroup } from "@pulumi/aws/ec2/securityGroup";
import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { RandomPassword } from "@pulumi/random/randomPassword";
import type { StackConfig } from "../../config";
import { protectionOptions } from "../k8s/protection";

export type PostgresConfig = Extract<StackConfig["monitoring"]["grafana"]["database"], { kind: "postgres" }>;

export const postgresPort = 5432;
export const grafanaDatabase = { name: "grafana", username: "grafana" } as const;

/** The AWS-side name of the database and its companions: `<cluster>-grafana`, unique per cluster and account region. */
export function databaseIdentifier(cluster: Pick<StackConfig["cluster"], "name">): string {
  return `${cluster.name}-grafana`;
}

/** The parameter group family of an engine version (`17.4` -> `postgres17`). */
export function parameterGroupFamily(engineVersion: string): string {
  return `postgres${engineVersion.split(".")[0]}`;
}

/** Refuses plaintext connections at the server, whatever a client asks for. */
export function forceTlsParameters(): aws.types.input.rds.ParameterGroupParameter[] {
  return [{ name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" }];
}

/** Ingress to the database: PostgreSQL from the configured client CIDRs only. No egress: RDS never dials out. */
export function securityGroupRules(db: PostgresConfig): Pick<aws.ec2.SecurityGroupArgs, "ingress" | "egress"> {
  return {
    ingress: [{ description: "PostgreSQL from Grafana pods", protocol: "tcp", fromPort: postgresPort, toPort: postgresPort, cidrBlocks: db.clientCidrs }],
    egress: [],
  };
}

/**
 * The RDS instance's settings: Multi-AZ, encrypted, private, TLS-only through the parameter group, deletion
 * protection and a final snapshot in every environment (a Grafana database is cheap to keep and costly to lose).
 */
export function instanceArgs(
  identifier: string,
  db: PostgresConfig,
  refs: { subnetGroupName: pulumi.Input<string>; parameterGroupName: pulumi.Input<string>; securityGroupId: pulumi.Input<string>; password: pulumi.Input<string> },
): aws.rds.InstanceArgs {
  return {
    identifier,
    engine: "postgres",
    engineVersion: db.engineVersion,
    instanceClass: db.instanceClass,
    allocatedStorage: db.allocatedStorageGiB,
    maxAllocatedStorage: db.maxAllocatedStorageGiB,
    storageType: "gp3",
    storageEncrypted: true,
    ...(db.kmsKeyArn ? { kmsKeyId: db.kmsKeyArn } : {}),
    multiAz: true,
    dbName: grafanaDatabase.name,
    username: grafanaDatabase.username,
    password: refs.password,
    port: postgresPort,
    dbSubnetGroupName: refs.subnetGroupName,
    vpcSecurityGroupIds: [refs.securityGroupId],
    parameterGroupName: refs.parameterGroupName,
    publiclyAccessible: false,
    deletionProtection: true,
    skipFinalSnapshot: false,
    finalSnapshotIdentifier: `${identifier}-final`,
    backupRetentionPeriod: db.backupRetentionDays,
    copyTagsToSnapshot: true,
    autoMinorVersionUpgrade: true,
    performanceInsightsEnabled: true,
  };
}

/** The database Grafana connects to, with the password it connects with (a Pulumi secret). */
export interface GrafanaDatabase {
  instance: Instance;
  /** `host:port` as Grafana's `[database] host` expects it. */
  hostPort: pulumi.Output<string>;
  password: pulumi.Output<string>;
}

export interface GrafanaDatabaseArgs {
  db: PostgresConfig;
  /** AWS-side name of the instance and its companions ({@link databaseIdentifier}). */
  identifier: string;
  /** Protect the password and the instance from deletion and replacement (see `protectsData`). */
  protect: boolean;
}

/** Registers the database, its subnet group, TLS-enforcing parameter group, security group and password. */
export function deployGrafanaDatabase(name: string, { db, identifier, protect }: GrafanaDatabaseArgs, parent: pulumi.Resource): GrafanaDatabase {
  const keep = protectionOptions(protect, parent);
  const tags = { Name: identifier, component: "grafana" };
  // Letters and digits only: RDS refuses '/', '@', '"' and spaces, and nothing in a URL or env var needs quoting.
  const password = new RandomPassword(`${name}-password`, { length: 40, special: false }, keep);
  const subnetGroup = new SubnetGroup(`${name}-subnets`, { name: identifier, subnetIds: db.subnetIds, tags }, { parent });
  const parameterGroup = new ParameterGroup(
    `${name}-params`,
    { name: identifier, family: parameterGroupFamily(db.engineVersion), parameters: forceTlsParameters(), tags },
    { parent },
  );
  const securityGroup = new SecurityGroup(
    `${name}-sg`,
    { name: identifier, description: "Grafana's PostgreSQL: 5432 from the cluster only", vpcId: db.vpcId, ...securityGroupRules(db), tags },
    { parent },
  );
  const instance = new Instance(
    `${name}-db`,
    {
      ...instanceArgs(identifier, db, {
        subnetGroupName: subnetGroup.name,
        parameterGroupName: parameterGroup.name,
        securityGroupId: securityGroup.id,
        password: password.result,
      }),
      tags,
    },
    keep,
  );
  return {
    instance,
    hostPort: pulumi.interpolate`${instance.address}:${instance.port}`,
    password: pulumi.secret(password.result),
  };
}
