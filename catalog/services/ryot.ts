import { formatLe, httpCodes } from "../contract";
import { defineService } from "../service";

const metrics = {
  requests: {
    kind: "counter",
    name: "ryot_requests_total",
    help: "Inference API requests by route and HTTP status code; 5xx are failures, 4xx (including 429 quota) are the caller's",
    labels: { route: ["/v1/completions", "/v1/chat/completions", "/v1/embeddings"], code: httpCodes },
  },
  timeToFirstToken: {
    kind: "histogram",
    name: "ryot_time_to_first_token_seconds",
    help: "Time from request accepted to the first streamed token",
    unit: "seconds",
    buckets: [0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5],
    labels: { model: ["ryot-large", "ryot-small"] },
  },
} as const;

export const ryot = defineService({
  key: "ryot",
  displayName: "Ryot",
  description: "LLM inference",
  owner: "inference",
  metrics,
  slos: [
    {
      name: "availability",
      title: "Ryot availability",
      description: "Inference requests answered without a server error (5xx); 4xx and 429 quota answers are the caller's.",
      objective: 0.999,
      sli: {
        kind: "ratio",
        errors: { metric: metrics.requests.name, matchers: [{ label: "code", op: "=~", value: "5.." }] },
        total: { metric: metrics.requests.name },
      },
      minimumEventRate: 1,
    },
    {
      name: "time-to-first-token",
      title: "Ryot time to first token",
      description: "99% of inference requests stream their first token within 100 ms.",
      objective: 0.99,
      sli: { kind: "latency", histogram: metrics.timeToFirstToken.name, le: formatLe(0.1) },
      minimumEventRate: 1,
    },
  ],
  // A generation streams for seconds even when its first token comes within the 100 ms target, so only a trace far
  // past that (5 s) counts as slow.
  sampling: { rate: 0.2, slowThresholdMs: 5000, slowRate: 0.5 },
});
