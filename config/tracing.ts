import { z } from "zod";

/** TracingTier section. Placeholder shape for the foundation: the TracingTier work replaces it with the full schema. */
export const tracing = z.strictObject({
  jaeger: z
    .strictObject({
      storage: z
        .discriminatedUnion("kind", [z.strictObject({ kind: z.literal("badger") }), z.strictObject({ kind: z.literal("opensearch") })])
        .default({ kind: "badger" }),
    })
    .prefault({}),
});
