import type { StackConfig } from "../../config";
import { type PolicySpec, cidrs, scrapedByPrometheus, tcp, workloadPods as pods, workloadPolicy } from "../k8s/network";
import { topology } from "../topology";
import { lokiStore } from "./loki-config";

/**
 * Every flow of the logging tier, on both ends where both are ours: agent -> Loki (OTLP/HTTP), Loki <-> Loki
 * (memberlist, gRPC, HTTP), Loki -> memcached, Loki -> S3/STS on 443 (only with an archive), Grafana -> Loki,
 * Prometheus -> each metrics port, agent -> Kubernetes API (k8sattributes). Everything else stays denied.
 */
export function loggingPolicies(c: StackConfig): PolicySpec[] {
  const loki = topology.loki.ports;
  const lokiPeers = [pods(c.namespaces, "loki")];
  const cache = (role: "chunksCache" | "resultsCache"): PolicySpec =>
    workloadPolicy(c.namespaces, role, {
      ingress: [{ peers: lokiPeers, ports: tcp(topology[role].ports.client) }, scrapedByPrometheus(c.namespaces, role)],
      egress: [],
    });
  return [
    workloadPolicy(c.namespaces, "loki", {
      ingress: [
        { peers: lokiPeers, ports: tcp(loki.http, loki.grpc, loki.memberlist) },
        { peers: [pods(c.namespaces, "logAgent")], ports: tcp(loki.http) },
        { peers: [pods(c.namespaces, "grafana")], ports: tcp(loki.http) },
        scrapedByPrometheus(c.namespaces, "loki"),
      ],
      egress: [
        { peers: lokiPeers, ports: tcp(loki.http, loki.grpc, loki.memberlist) },
        { peers: [pods(c.namespaces, "chunksCache"), pods(c.namespaces, "resultsCache")], ports: tcp(topology.chunksCache.ports.client) },
        ...(lokiStore(c).kind === "s3" ? [{ peers: cidrs(c.network.awsEgressCidrs), ports: tcp(443) }] : []),
      ],
    }),
    cache("chunksCache"),
    cache("resultsCache"),
    workloadPolicy(c.namespaces, "logAgent", {
      ingress: [scrapedByPrometheus(c.namespaces, "logAgent")],
      egress: [
        { peers: lokiPeers, ports: tcp(loki.http) },
        { peers: cidrs(c.network.apiServerCidrs), ports: tcp(443) },
      ],
    }),
  ];
}
