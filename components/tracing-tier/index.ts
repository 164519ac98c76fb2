import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config";
import { deployNetworkPolicies } from "../k8s/network";
import { protectsData } from "../k8s/protection";
import { namespaceOf, serviceUrl } from "../topology";
import { deployAgent } from "./agent";
import { deployGateway } from "./gateway";
import { deployJaeger } from "./jaeger";
import { tracingPolicies } from "./network";
import { type OpenSearchStore, deployOpenSearch } from "./opensearch";

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

    const store: OpenSearchStore | undefined =
      storage.kind === "opensearch"
        ? deployOpenSearch(name, { store: storage, cluster: c.cluster, namespace: namespaceOf(c.namespaces, "jaegerCollector"), protect: protectsData(c) }, this)
        : undefined;
    const agent = deployAgent(name, c, this);
    deployGateway(name, c, this);
    deployJaeger(name, { c, store, storageClassName: args.storageClassName }, this);
    deployNetworkPolicies(name, tracingPolicies(c), this);

    this.outputs = {
      otlpAgentEndpoint: agent.endpoint,
      jaegerQueryUrl: serviceUrl(c.namespaces, "jaegerQuery", "http"),
      jaegerUiUrl: `https://${c.ingress.hosts.jaeger}`,
      traceStorage: storage.kind,
      ...(store ? { traceStoreEndpoint: store.endpoint, traceStoreDomainArn: store.domainArn, jaegerRoleArn: store.roleArn } : {}),
    };
    this.registerOutputs(this.outputs);
  }
}
