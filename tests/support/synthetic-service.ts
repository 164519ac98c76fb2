/**
 * A catalog entry for a service the stack does not run, used to prove that one entry is all a new service needs.
 * Its sampling rate, owner and `service.name` differ from every real entry and from the defaults, so a derivation
 * that falls back to a default or copies another service shows.
 */
// Not from "../../catalog": that module derives the service keys when it loads, which must happen after this entry
// is added (see fifth-service.ts).
import { formatLe } from "../../catalog/contract";
import { defineService } from "../../catalog/service";

const metrics = {
  requests: {
    kind: "counter",
    name: "ledger_requests_total",
    help: "Ledger API requests by HTTP status code; 5xx are failures",
    labels: { code: ["200", "400", "500", "503"] },
  },
  requestDuration: {
    kind: "histogram",
    name: "ledger_request_duration_seconds",
    help: "Server-side duration of a ledger request",
    unit: "seconds",
    buckets: [0.01, 0.05, 0.1, 0.25, 1],
    labels: { code: ["200", "400", "500", "503"] },
  },
} as const;

export const syntheticService = defineService({
  key: "ledger",
  displayName: "Ledger",
  description: "synthetic test service",
  owner: "payments",
  metrics,
  slos: [
    {
      name: "availability",
      title: "Ledger availability",
      description: "Requests answered without a server error (5xx).",
      objective: 0.999,
      sli: {
        kind: "ratio",
        errors: { metric: metrics.requests.name, matchers: [{ label: "code", op: "=~", value: "5.." }] },
        total: { metric: metrics.requests.name },
      },
      minimumEventRate: 1,
    },
    {
      name: "latency",
      title: "Ledger latency",
      description: "99% of requests complete within 100 ms.",
      objective: 0.99,
      sli: { kind: "latency", histogram: metrics.requestDuration.name, le: formatLe(0.1) },
      minimumEventRate: 1,
    },
  ],
  sampling: { rate: 0.35, slowThresholdMs: 400, slowRate: 0.7, serviceNames: ["ledger-api"] },
});
