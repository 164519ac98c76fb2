import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config";
import type { OpenSearchStorage } from "../../config/tracing";
import { type AppIdentity, labelsFor, objectName } from "../k8s/labels";
import { hardenedPod, tcpProbes } from "../k8s/pod";
import { type OpenSearchStore, jaegerServiceAccount } from "./opensearch";

/** Identity of the index cleaner CronJob's pods (for its NetworkPolicy). */
export const indexCleanerId: AppIdentity = { app: "jaeger", component: "index-cleaner", instance: "jaeger-index-cleaner" };

/** The SigV4 proxy's listen port inside the cleaner pod (no ingress is allowed to the pod, so only the cleaner uses it). */
export const sigv4ProxyPort = 8080;
const proxyHostEnv = "OPENSEARCH_HOST";

/**
 * Retention for OpenSearch: Jaeger v2 never deletes indices itself, so a CronJob runs `jaeger-es-index-cleaner`
 * daily to drop indices older than `retentionDays`. The cleaner cannot sign requests, so an AWS SigV4 proxy runs as
 * a native sidecar (an init container with `restartPolicy: Always`, stopped when the cleaner exits) and signs with
 * the pod's IRSA credentials; the cleaner talks plain HTTP to it on localhost only.
 */
export function indexCleanerJob(c: StackConfig, store: OpenSearchStorage, endpoint: pulumi.Input<string>): k8s.types.input.batch.v1.JobSpec {
  const spec = hardenedPod({
    serviceAccountName: jaegerServiceAccount,
    // The SigV4 proxy signs with IRSA, whose token the EKS webhook projects itself; nothing here calls the Kubernetes API.
    needsApiToken: false,
    initContainers: [
      {
        name: "sigv4-proxy",
        image: c.tracing.images.sigv4Proxy,
        // Kubernetes expands $(VAR) in args from the container's env, so the domain endpoint (known only after the
        // domain exists) reaches the flag without a shell.
        args: ["--name", "es", "--region", c.cluster.region, "--host", `$(${proxyHostEnv})`, "--port", `:${sigv4ProxyPort}`],
        env: [{ name: proxyHostEnv, value: endpoint }],
        ports: [{ name: "proxy", containerPort: sigv4ProxyPort }],
        resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
        probes: { ...tcpProbes(sigv4ProxyPort), startup: { tcpSocket: { port: sigv4ProxyPort }, periodSeconds: 2, failureThreshold: 30 } },
      },
    ],
    containers: [
      {
        name: "index-cleaner",
        image: c.tracing.images.indexCleaner,
        args: [`--index-prefix=${store.indices.prefix}`, String(store.indices.retentionDays), `http://127.0.0.1:${sigv4ProxyPort}`],
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
      spec: {
        ...spec,
        restartPolicy: "Never",
        // Only the proxy gets the native-sidecar restart policy; everything else is the hardened spec unchanged.
        initContainers: (spec.initContainers as k8s.types.input.core.v1.Container[]).map((ic) => ({ ...ic, restartPolicy: "Always" })),
      },
    },
  };
}

export function buildIndexCleaner(
  name: string,
  c: StackConfig,
  store: OpenSearchStorage,
  os: OpenSearchStore,
  namespace: string,
  parent: pulumi.Resource,
): void {
  new k8s.batch.v1.CronJob(
    `${name}-jaeger-index-cleaner`,
    {
      metadata: { name: objectName(indexCleanerId.instance), namespace, labels: labelsFor(indexCleanerId) },
      spec: {
        schedule: store.indices.cleanerSchedule,
        timeZone: "Etc/UTC",
        concurrencyPolicy: "Forbid",
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 3,
        jobTemplate: { spec: indexCleanerJob(c, store, os.endpoint) },
      },
    },
    { parent },
  );
}
