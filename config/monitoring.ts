import { z } from "zod";
import { storageQuantity } from "./common";

/**
 * MonitoringCore section. Placeholder shape for the foundation: the MonitoringCore work replaces it with the full
 * schema (Prometheus, Alertmanager, Grafana sizing and settings).
 */
export const monitoring = z.strictObject({
  grafana: z
    .strictObject({
      database: z
        .discriminatedUnion("kind", [
          z.strictObject({ kind: z.literal("sqlite"), storage: storageQuantity.default("20Gi") }),
          z.strictObject({ kind: z.literal("postgres") }),
        ])
        .default({ kind: "sqlite", storage: "20Gi" }),
    })
    .prefault({}),
});
