import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config";
import { serviceUrl } from "../topology";
import { buildAgent } from "./agent";
import { buildGateway } from "./gateway";
import { buildJaeger } from "./jaeger";
import { buildNetworkPolicies } from "./network";
import { type OpenSearchStore, buildOpenSearch } from "./opensearch";

export interface TracingTierArgs {
  config: StackConfig;
  /** The platform's encrypted StorageClass; the Badger claim names it, so the class exists before the claim. */
  storageClassName: pulumi.Output<string>;
}

/**
 * The tracing pipeline: OpenTelemetry agents on every node -> trace-ID load balancing -> tail-sampling gateway ->
 * Jaeger v2 collector and query, stored in Amazon OpenSearch Service (prod) or Badger on one volume (staging).
 */
export class TracingTier extends pulumi.ComponentResource {
  readonly outputs: Record<string, pulumi.Input<unknown>>;

  constructor(name: string, args: TracingTierArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("sigma:observability:TracingTier", name, {}, opts);
    const c = args.config;
    const storage = c.tracing.jaeger.storage;

    const store: OpenSearchStore | undefined = storage.kind === "opensearch" ? buildOpenSearch(name, c, storage, this) : undefined;
    const agent = buildAgent(name, c, this);
    buildGateway(name, c, this);
    buildJaeger(name, { c, store, storageClassName: args.storageClassName }, this);
    buildNetworkPolicies(name, c, this);

    this.outputs = {
      otlpAgentEndpoint: agent.endpoint,
      jaegerQueryUrl: serviceUrl(c, "jaegerQuery", "http"),
      jaegerUiUrl: `https://${c.ingress.hosts.jaeger}`,
      traceStorage: storage.kind,
      ...(store ? { traceStoreEndpoint: store.endpoint, traceStoreDomainArn: store.domainArn, jaegerRoleArn: store.roleArn } : {}),
    };
    this.registerOutputs(this.outputs);
  }
}
