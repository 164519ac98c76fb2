import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config";

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

export interface Route {
  host: string;
  serviceName: string;
  servicePort: number;
}

/**
 * An Ingress whose every host is covered by the TLS certificate cert-manager issues into `ingress.tlsSecretName`,
 * with HTTPS redirect forced. One Ingress per namespace, since an Ingress can only route to Services beside it.
 */
export function tlsIngress(
  resourceName: string,
  args: {
    name: string;
    namespace: pulumi.Input<string>;
    ingress: StackConfig["ingress"];
    routes: Route[];
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  },
  opts: pulumi.CustomResourceOptions,
): k8s.networking.v1.Ingress {
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
