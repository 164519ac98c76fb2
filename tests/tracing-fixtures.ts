import type { Rendered } from "./support/harness";
import { renderWith } from "./support/harness";

/** The `tracing` section proposed for Pulumi.staging.yaml / Pulumi.prod.yaml (see the TracingTier report). */
export const proposedTracing: Record<"staging" | "prod", Record<string, unknown>> = {
  staging: {
    gateway: {
      replicas: 2,
      resources: { requests: { cpu: "200m", memory: "256Mi" }, limits: { memory: "512Mi" } },
      numTraces: 15000,
      expectedNewTracesPerSec: 200,
    },
    jaeger: {
      collector: { replicas: 1, resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "512Mi" } } },
      query: { replicas: 1, resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } } },
      storage: { kind: "badger", storage: "20Gi", retention: "72h" },
    },
  },
  prod: {
    gateway: { replicas: 3 },
    jaeger: {
      collector: { replicas: 3 },
      query: { replicas: 3 },
      storage: {
        kind: "opensearch",
        domainName: "sigma-prod-traces",
        instanceType: "r6g.large.search",
        instanceCount: 3,
        zoneCount: 3,
        volumeGiB: 500,
        vpc: {
          vpcId: "vpc-0c4e8a1f2b3d5e6f7",
          subnetIds: ["subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829", "subnet-0c3d4e5f607182930"],
          clientCidrs: ["10.10.0.0/16"],
        },
        indices: { retentionDays: 14, shards: 3, replicas: 1 },
      },
    },
  },
};

/** A committed stack rendered with the proposed tracing section (idempotent once the lead adds it to the stack file). */
export function renderWithTracing(stack: "staging" | "prod", edit: (tracing: Record<string, any>) => void = () => {}): Promise<Rendered> {
  return renderWith(stack, (values) => {
    const tracing = structuredClone(proposedTracing[stack]) as Record<string, any>;
    edit(tracing);
    values.tracing = tracing;
  });
}
