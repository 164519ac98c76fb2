import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config";
import { allowFlows, podsIn, tcp } from "./network";

/**
 * Annotations that put a UI behind authentication at the ingress-nginx controller, as chosen in `ingress.auth`.
 * Grafana has its own login and does not get them; every admin UI without one does.
 */
export function authAnnotations(auth: StackConfig["ingress"]["auth"]): Record<string, string> {
  if (auth.mode === "oauth2-proxy") {
    return {
      "nginx.ingress.kubernetes.io/auth-url": auth.authUrl,
      "nginx.ingress.kubernetes.io/auth-signin": `${auth.signinUrl}?rd=$scheme://$host$escaped_request_uri`,
      "nginx.ingress.kubernetes.io/auth-response-headers": "X-Auth-Request-User,X-Auth-Request-Email",
    };
  }
  return {
    "nginx.ingress.kubernetes.io/auth-type": "basic",
    "nginx.ingress.kubernetes.io/auth-secret": auth.secretName,
    "nginx.ingress.kubernetes.io/auth-realm": "Authentication required",
  };
}

/**
 * ingress-nginx cookie affinity: the controller sends each browser's requests to the backend pod that served its first
 * one, for UIs whose replicas answer differently (each Grafana pod is pinned to one Prometheus replica).
 */
export function stickySessionAnnotations(cookieName: string): Record<string, string> {
  return {
    "nginx.ingress.kubernetes.io/affinity": "cookie",
    "nginx.ingress.kubernetes.io/session-cookie-name": cookieName,
  };
}

export interface Route {
  host: string;
  serviceName: string;
  servicePort: number;
}

/**
 * cert-manager's HTTP-01 solver pods: the label it puts on every acmesolver pod and the port the solver listens on
 * (cert-manager `pkg/issuer/acme/http`, `SolverIdentificationLabelKey` and `acmeSolverListenPort`).
 */
export const http01Solver = { podLabels: { "acme.cert-manager.io/http01-solver": "true" }, port: 8089 } as const;

/**
 * An Ingress whose every host is covered by the TLS certificate cert-manager issues into `ingress.tlsSecretName`,
 * with HTTPS redirect forced. One Ingress per namespace, since an Ingress can only route to Services beside it.
 *
 * cert-manager answers HTTP-01 challenges from solver pods it starts in the Ingress's namespace; the namespace's
 * default deny would drop the controller's requests to them and no certificate would ever be issued or renewed. So a
 * NetworkPolicy beside the Ingress admits the ingress controller to the solver port, and nothing else to those pods.
 */
export function tlsIngress(
  resourceName: string,
  args: {
    name: string;
    namespace: pulumi.Input<string>;
    ingress: StackConfig["ingress"];
    /** The ingress controller's pods (`network.ingressController`): the only source a solver must accept. */
    ingressController: StackConfig["network"]["ingressController"];
    routes: Route[];
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  },
  opts: pulumi.CustomResourceOptions,
): k8s.networking.v1.Ingress {
  allowFlows(
    `${resourceName}-acme-solver`,
    {
      name: `${args.name}-acme-http01-solver`,
      namespace: args.namespace,
      podSelector: { ...http01Solver.podLabels },
      ingress: [{ peers: [podsIn(args.ingressController.namespace, args.ingressController.podLabels)], ports: tcp(http01Solver.port) }],
      ...(args.labels ? { labels: args.labels } : {}),
    },
    opts,
  );
  const hosts = args.routes.map((r) => r.host);
  return new k8s.networking.v1.Ingress(
    resourceName,
    {
      metadata: {
        name: args.name,
        namespace: args.namespace,
        ...(args.labels ? { labels: args.labels } : {}),
        annotations: {
          ...args.annotations,
          "cert-manager.io/cluster-issuer": args.ingress.clusterIssuer,
          "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
        },
      },
      spec: {
        ingressClassName: args.ingress.className,
        tls: [{ hosts, secretName: args.ingress.tlsSecretName }],
        rules: args.routes.map((r) => ({
          host: r.host,
          http: {
            paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: r.serviceName, port: { number: r.servicePort } } } }],
          },
        })),
      },
    },
    opts,
  );
}
