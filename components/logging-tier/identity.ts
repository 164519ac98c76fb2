/** The ServiceAccount Loki runs as; the IRSA trust policy of the archive role names exactly this one. */
export const lokiServiceAccountName = "loki";

/** Environment variable carrying the KMS key ARN into Loki's config (`-config.expand-env`), known only after deploy. */
export const kmsKeyEnv = "LOKI_S3_SSE_KMS_KEY_ID";

/** Where Loki keeps its WAL, TSDB index, compactor markers and (without an archive) chunks: the PVC. */
export const lokiDataDir = "/var/loki";
