/**
 * The SLOs of the four services, from the performance plan. Metric names come from the metric contract; every
 * spec here is validated by `validateSlos` when the rules are built.
 */
import { formatLe, metricContract } from "./metrics";
import type { SloSpec } from "./slo";

const { ryot, sigmalang, sigmavault, agents } = metricContract;
const bucket = (name: string): string => `${name}_bucket`;
const count = (name: string): string => `${name}_count`;

/** The SLO specs, in the order dashboards list them. */
export const sloSpecs: readonly SloSpec[] = [
  {
    service: "ryot",
    name: "availability",
    title: "Ryot availability",
    description: "Inference requests answered without a server error (5xx); 4xx and 429 quota answers are the caller's.",
    objective: 0.999,
    sli: {
      kind: "ratio",
      errors: { metric: ryot.metrics.requests.name, matchers: [{ label: "code", op: "=~", value: "5.." }] },
      total: { metric: ryot.metrics.requests.name },
    },
    minimumEventRate: 1,
  },
  {
    service: "ryot",
    name: "time-to-first-token",
    title: "Ryot time to first token",
    description: "99% of inference requests stream their first token within 100 ms.",
    objective: 0.99,
    sli: { kind: "latency", histogram: ryot.metrics.timeToFirstToken.name, le: formatLe(0.1) },
    minimumEventRate: 1,
  },
  {
    service: "sigmalang",
    name: "availability",
    title: "ΣLANG availability",
    description: "Compression API requests answered without a server error (5xx).",
    objective: 0.999,
    sli: {
      kind: "ratio",
      errors: { metric: sigmalang.metrics.requests.name, matchers: [{ label: "code", op: "=~", value: "5.." }] },
      total: { metric: sigmalang.metrics.requests.name },
    },
    minimumEventRate: 1,
  },
  {
    service: "sigmalang",
    name: "compression-ratio",
    title: "ΣLANG compression ratio",
    description:
      "99% of compressions reach better than 3:1. A compression at or below 3:1 falls in the le=\"3\" bucket of the ratio histogram, so that bucket counts the bad events and _count all of them.",
    objective: 0.99,
    sli: {
      kind: "ratio",
      errors: { metric: bucket(sigmalang.metrics.compressionRatio.name), matchers: [{ label: "le", op: "=", value: formatLe(3) }] },
      total: { metric: count(sigmalang.metrics.compressionRatio.name) },
    },
    minimumEventRate: 0.5,
  },
  {
    service: "sigmavault",
    name: "availability",
    title: "ΣVAULT availability",
    description: "Storage operations that do not end in result=\"error\"; not_found is a correct answer.",
    objective: 0.999,
    sli: {
      kind: "ratio",
      errors: { metric: sigmavault.metrics.operations.name, matchers: [{ label: "result", op: "=", value: "error" }] },
      total: { metric: sigmavault.metrics.operations.name },
    },
    minimumEventRate: 5,
  },
  {
    service: "sigmavault",
    name: "read-latency",
    title: "ΣVAULT read latency",
    description: "99% of reads complete within 10 ms (p99 < 10 ms).",
    objective: 0.99,
    sli: {
      kind: "latency",
      histogram: sigmavault.metrics.operationDuration.name,
      le: formatLe(0.01),
      matchers: [{ label: "operation", op: "=", value: "read" }],
    },
    minimumEventRate: 5,
  },
  {
    service: "sigmavault",
    name: "write-latency",
    title: "ΣVAULT write latency",
    description: "99% of writes complete within 10 ms (p99 < 10 ms).",
    objective: 0.99,
    sli: {
      kind: "latency",
      histogram: sigmavault.metrics.operationDuration.name,
      le: formatLe(0.01),
      matchers: [{ label: "operation", op: "=", value: "write" }],
    },
    minimumEventRate: 2,
  },
  {
    service: "agents",
    name: "task-latency",
    title: "Agent task latency",
    description: "99% of agent task steps finish within 50 ms.",
    objective: 0.99,
    sli: { kind: "latency", histogram: agents.metrics.taskDuration.name, le: formatLe(0.05) },
    minimumEventRate: 0.5,
  },
  {
    service: "agents",
    name: "task-success",
    title: "Agent task success",
    description: "Agent tasks that end in success; cancelled tasks were stopped by their caller and are not counted.",
    objective: 0.99,
    sli: {
      kind: "ratio",
      errors: {
        metric: agents.metrics.tasks.name,
        matchers: [
          { label: "result", op: "=~", value: "failure|timeout" },
          { label: "result", op: "!=", value: "cancelled" },
        ],
      },
      total: { metric: agents.metrics.tasks.name, matchers: [{ label: "result", op: "!=", value: "cancelled" }] },
    },
    minimumEventRate: 0.5,
  },
];
