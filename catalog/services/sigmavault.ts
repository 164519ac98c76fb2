import { formatLe } from "../contract";
import { defineService } from "../service";

const operations = ["read", "write", "delete"] as const;

const metrics = {
  operations: {
    kind: "counter",
    name: "sigmavault_operations_total",
    help: "Storage operations by operation and result; result=\"error\" is a failure, not_found is a normal answer",
    labels: { operation: operations, result: ["ok", "not_found", "error"] },
  },
  operationDuration: {
    kind: "histogram",
    name: "sigmavault_operation_duration_seconds",
    help: "Server-side duration of a storage operation",
    unit: "seconds",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    labels: { operation: operations },
  },
} as const;

export const sigmavault = defineService({
  key: "sigmavault",
  displayName: "ΣVAULT",
  description: "storage",
  owner: "storage",
  metrics,
  slos: [
    {
      name: "availability",
      title: "ΣVAULT availability",
      description: "Storage operations that do not end in result=\"error\"; not_found is a correct answer.",
      objective: 0.999,
      sli: {
        kind: "ratio",
        errors: { metric: metrics.operations.name, matchers: [{ label: "result", op: "=", value: "error" }] },
        total: { metric: metrics.operations.name },
      },
      minimumEventRate: 5,
    },
    {
      name: "read-latency",
      title: "ΣVAULT read latency",
      description: "99% of reads complete within 10 ms (p99 < 10 ms).",
      objective: 0.99,
      sli: {
        kind: "latency",
        histogram: metrics.operationDuration.name,
        le: formatLe(0.01),
        matchers: [{ label: "operation", op: "=", value: "read" }],
      },
      minimumEventRate: 5,
    },
    {
      name: "write-latency",
      title: "ΣVAULT write latency",
      description: "99% of writes complete within 10 ms (p99 < 10 ms).",
      objective: 0.99,
      sli: {
        kind: "latency",
        histogram: metrics.operationDuration.name,
        le: formatLe(0.01),
        matchers: [{ label: "operation", op: "=", value: "write" }],
      },
      minimumEventRate: 2,
    },
  ],
  // Operations are short (p99 target 10 ms), so 5x the target is already an outlier, and every such trace is kept.
  sampling: { rate: 0.25, slowThresholdMs: 50, slowRate: 1 },
});
