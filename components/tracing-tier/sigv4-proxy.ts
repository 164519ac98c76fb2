import * as pulumi from "@pulumi/pulumi";
import { type ContainerArgs, tcpProbes } from "../k8s/pod";

/** Where the SigV4 proxy listens inside a pod; only containers of the same pod reach it (no ingress allows the port). */
export const sigv4ProxyPort = 8080;
const proxyHostEnv = "OPENSEARCH_HOST";

/** The plain-HTTP URL the pod's other containers use for OpenSearch: the proxy signs and forwards over HTTPS. */
export const signedOpenSearchUrl = `http://127.0.0.1:${sigv4ProxyPort}`;

/**
 * An AWS SigV4 proxy as a native sidecar (an init container with `restartPolicy: Always`: started first, stopped
 * last), signing every request to the OpenSearch domain with the pod's IRSA credentials. Jaeger and its index cleaner
 * talk to it on localhost. Jaeger's own `sigv4auth` extension (2.13) signs every request body as if it were empty, so
 * OpenSearch refuses each write and template with a signature mismatch; the proxy signs the real body.
 */
export function sigv4ProxySidecar({ image, region, endpoint }: { image: string; region: string; endpoint: pulumi.Input<string> }): ContainerArgs {
  return {
    name: "sigv4-proxy",
    image,
    // Kubernetes expands $(VAR) in args from the container's env, so the domain endpoint (known only after the domain
    // exists) reaches the flag without a shell.
    args: ["--name", "es", "--region", region, "--host", `$(${proxyHostEnv})`, "--port", `:${sigv4ProxyPort}`],
    env: [{ name: proxyHostEnv, value: endpoint }],
    ports: [{ name: "sigv4-proxy", containerPort: sigv4ProxyPort }],
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
    probes: { ...tcpProbes(sigv4ProxyPort), startup: { tcpSocket: { port: sigv4ProxyPort }, periodSeconds: 2, failureThreshold: 30 } },
    restartPolicy: "Always",
  };
}
