import { z } from "zod";

/**
 * LoggingTier and S3Archive sections. Placeholder shapes for the foundation: the logging work replaces them with the
 * full schemas (Loki, caches, agent; bucket, lifecycle, retention invariants).
 */
export const logging = z.strictObject({});
export const archive = z.strictObject({ bucketName: z.string() });
