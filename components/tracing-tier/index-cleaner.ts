import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { OpenSearchStorage } from "../../config/tracing";
import { type AppIdentity, labelsFor, objectName } from "../k8s/labels";
import { type ContainerArgs, hardenedPod } from "../k8s/pod";
import { jaegerServiceAccount } from "./opensearch";
import { signedOpenSearchUrl } from "./sigv4-proxy";

/** Identity of the index cleaner CronJob's pods (for its NetworkPolicy). */
export const indexCleanerId: AppIdentity = { app: "jaeger", component: "index-cleaner", instance: "jaeger-index-cleaner" };

export interface IndexCleanerArgs {
  image: string;
  /** The trace indices: their prefix, retention and the cleaner's schedule. */
  indices: OpenSearchStorage["indices"];
  /** The SigV4 proxy sidecar that signs the cleaner's requests (see `sigv4ProxySidecar`). */
  sigv4Proxy: ContainerArgs;
}

/**
 * Retention for OpenSearch: Jaeger v2 never deletes indices itself, so a CronJob runs `jaeger-es-index-cleaner`
 * daily to drop indices older than `retentionDays`. The cleaner cannot sign requests, so the SigV4 proxy sidecar
 * signs them (stopped when the cleaner exits); the cleaner talks plain HTTP to it on localhost only.
 */
export function indexCleanerJob({ image, indices, sigv4Proxy }: IndexCleanerArgs): k8s.types.input.batch.v1.JobSpec {
  const spec = hardenedPod({
    serviceAccountName: jaegerServiceAccount,
    // The SigV4 proxy signs with IRSA, whose token the EKS webhook projects itself; nothing here calls the Kubernetes API.
    needsApiToken: false,
    initContainers: [sigv4Proxy],
    containers: [
      {
        name: "index-cleaner",
        image,
        args: [`--index-prefix=${indices.prefix}`, String(indices.retentionDays), signedOpenSearchUrl],
        resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
      },
    ],
  });
  return {
    backoffLimit: 2,
    activeDeadlineSeconds: 1800,
    ttlSecondsAfterFinished: 86400,
    template: {
      metadata: { labels: labelsFor(indexCleanerId) },
      spec: { ...spec, restartPolicy: "Never" },
    },
  };
}

/**
 * How late a missed run may still start: one hour. Without a deadline, a run missed while the CronJob controller
 * was down (a control-plane upgrade, say) starts whenever the controller comes back, at any hour. Within the hour the
 * cleaner still runs near its slot, off-peak; later, that day's run is skipped and the next day's deletes both days'
 * indices, so retention overshoots by one day at most. Far above the controller's 10-second check interval.
 */
export const indexCleanerStartingDeadlineSeconds = 3600;

/** Registers the index cleaner's CronJob in `namespace`, Jaeger's. */
export function deployIndexCleaner(name: string, args: IndexCleanerArgs & { namespace: string }, parent: pulumi.Resource): void {
  new k8s.batch.v1.CronJob(
    `${name}-jaeger-index-cleaner`,
    {
      metadata: { name: objectName(indexCleanerId.instance), namespace: args.namespace, labels: labelsFor(indexCleanerId) },
      spec: {
        schedule: args.indices.cleanerSchedule,
        timeZone: "Etc/UTC",
        concurrencyPolicy: "Forbid",
        startingDeadlineSeconds: indexCleanerStartingDeadlineSeconds,
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 3,
        jobTemplate: { spec: indexCleanerJob(args) },
      },
    },
    { parent },
  );
}
