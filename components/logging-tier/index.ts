import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config";
import { deployNetworkPolicies } from "../k8s/network";
import type { S3Archive } from "../s3-archive";
import { serviceUrl } from "../topology";
import { deployLogAgent } from "./agent";
import { deployCache } from "./caches";
import { deployLoki } from "./loki";
import { lokiStore } from "./loki-config";
import { loggingPolicies } from "./network";

export { logAgentConfig } from "./agent-config";
export { lokiConfig, lokiStore } from "./loki-config";
export { loggingPolicies } from "./network";

export interface LoggingTierArgs {
  config: StackConfig;
  storageClassName: pulumi.Input<string>;
  /** Loki's S3 store; without it Loki keeps everything on its (single) replica's volume. */
  archive?: S3Archive;
}

/**
 * The logging tier: Loki (monolithic StatefulSet, memberlist ring) with memcached chunk and results caches, the
 * OpenTelemetry log agent on every node, and the NetworkPolicies of exactly their flows.
 */
export class LoggingTier extends pulumi.ComponentResource {
  readonly outputs: Record<string, pulumi.Input<unknown>>;

  constructor(name: string, args: LoggingTierArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sigma:observability:LoggingTier", name, {}, opts);
    const c = args.config;
    if (Boolean(c.archive) !== Boolean(args.archive)) {
      throw new Error("LoggingTier needs the S3Archive exactly when the config has an archive section");
    }
    const aws = args.archive ? { roleArn: args.archive.roleArn, kmsKeyArn: args.archive.kmsKeyArn } : undefined;

    deployLoki(name, { config: c, storageClassName: args.storageClassName, aws }, this);
    deployCache(name, c, "chunksCache", this);
    deployCache(name, c, "resultsCache", this);
    deployLogAgent(name, c, this);
    deployNetworkPolicies(name, loggingPolicies(c), this);

    this.outputs = {
      lokiUrl: serviceUrl(c.namespaces, "loki", "http"),
      lokiOtlpEndpoint: `${serviceUrl(c.namespaces, "loki", "http")}/otlp/v1/logs`,
      lokiStore: lokiStore(c).kind,
    };
    this.registerOutputs(this.outputs);
  }
}
