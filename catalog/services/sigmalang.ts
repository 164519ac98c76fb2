import { formatLe, httpCodes } from "../contract";
import { defineService } from "../service";

const metrics = {
  requests: {
    kind: "counter",
    name: "sigmalang_requests_total",
    help: "Compression API requests by operation and HTTP status code; 5xx are failures",
    labels: { operation: ["compress", "decompress"], code: httpCodes },
  },
  compressionRatio: {
    kind: "histogram",
    name: "sigmalang_compression_ratio",
    help: "Input size divided by output size, one observation per completed compression",
    unit: "ratio",
    buckets: [1, 1.5, 2, 2.5, 3, 4, 6, 8, 12, 16],
    labels: { codec: ["sigma-text", "sigma-binary"] },
  },
} as const;

export const sigmalang = defineService({
  key: "sigmalang",
  displayName: "ΣLANG",
  description: "compression",
  owner: "compression",
  metrics,
  slos: [
    {
      name: "availability",
      title: "ΣLANG availability",
      description: "Compression API requests answered without a server error (5xx).",
      objective: 0.999,
      sli: {
        kind: "ratio",
        errors: { metric: metrics.requests.name, matchers: [{ label: "code", op: "=~", value: "5.." }] },
        total: { metric: metrics.requests.name },
      },
      minimumEventRate: 1,
    },
    {
      name: "compression-ratio",
      title: "ΣLANG compression ratio",
      description:
        "99% of compressions reach better than 3:1. A compression at or below 3:1 falls in the le=\"3\" bucket of the ratio histogram, so that bucket counts the bad events and _count all of them.",
      objective: 0.99,
      sli: {
        kind: "ratio",
        errors: { metric: `${metrics.compressionRatio.name}_bucket`, matchers: [{ label: "le", op: "=", value: formatLe(3) }] },
        total: { metric: `${metrics.compressionRatio.name}_count` },
      },
      minimumEventRate: 0.5,
    },
  ],
  sampling: { rate: 0.15, slowThresholdMs: 250, slowRate: 0.5 },
});
