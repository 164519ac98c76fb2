import type { StackConfig } from "../../config";
import { labelsFor } from "../k8s/labels";
import { cidrs, ingressControllerPods, podsInNamespacesLabelled, tcp, udp, workloadPods as pods, workloadPolicy, type Flow, type PolicySpec } from "../k8s/network";
import { topology, type Namespaces } from "../topology";
import { componentTargets, kubeletPort, metricsPort } from "./prometheus-config";
import { postgresPort } from "./grafana-database";
import { grafanaGossipPort } from "./grafana";

/** SMTP submission (587) and HTTPS (443): every receiver Alertmanager notifies speaks one of them. */
export const receiverPorts = [443, 587] as const;

/** A monitoring workload's policy; this tier's policies carry the workload's labels. */
function policy(namespaces: Namespaces, w: "prometheus" | "alertmanager" | "grafana", flows: Pick<PolicySpec, "ingress" | "egress">): PolicySpec {
  return { ...workloadPolicy(namespaces, w, flows), labels: labelsFor(topology[w].id) };
}

/**
 * Every flow of the monitoring tier, one policy per workload, each listing exactly what it needs in both directions.
 * The peer side of a flow into another tier (Loki, Jaeger, the collectors) is opened by that tier's own policy.
 */
export function monitoringPolicies(c: StackConfig): PolicySpec[] {
  const p = topology.prometheus.ports;
  const a = topology.alertmanager.ports;
  const g = topology.grafana.ports;
  const sd = c.monitoring.serviceDiscovery;
  const grafana = c.monitoring.grafana;
  const kubelet = c.monitoring.kubelet;
  const scrapeTargets: Flow[] = Object.values(componentTargets)
    .flat()
    .filter((w, i, all) => all.indexOf(w) === i && w !== "prometheus")
    .map((w) => ({ peers: [pods(c.namespaces, w)], ports: tcp(metricsPort(w)) }));
  const grafanaPeers = grafana.replicas > 1 ? [{ peers: [pods(c.namespaces, "grafana")], ports: [...tcp(grafanaGossipPort), ...udp(grafanaGossipPort)] }] : [];
  // Only the kubelet port of the node subnets: kubelets listen on the node's address, outside any pod selector. With
  // the VPC CNI, pods draw addresses from the same subnets, so this also reaches any pod listening on that port.
  const kubelets: Flow[] = kubelet.enabled ? [{ peers: cidrs(kubelet.nodeCidrs), ports: tcp(kubeletPort) }] : [];
  const alertmanagerPeers =
    c.monitoring.alertmanager.replicas > 1 ? [{ peers: [pods(c.namespaces, "alertmanager")], ports: [...tcp(a.cluster), ...udp(a.cluster)] }] : [];
  return [
    policy(c.namespaces, "prometheus", {
      ingress: [
        { peers: [ingressControllerPods(c), pods(c.namespaces, "grafana"), pods(c.namespaces, "prometheus")], ports: tcp(p.http) },
        // The sampling gateways push spanmetrics over OTLP; Jaeger query reads them for its Monitor tab.
        { peers: [pods(c.namespaces, "otelGateway"), pods(c.namespaces, "jaegerQuery")], ports: tcp(p.http) },
      ],
      egress: [
        // Self and the other replica: each replica scrapes both.
        { peers: [pods(c.namespaces, "prometheus")], ports: tcp(p.http) },
        // The catalogued services, on their named metrics port, only in namespaces labelled as monitored.
        { peers: [podsInNamespacesLabelled(c.network.serviceNamespaceLabels)], ports: tcp(sd.metricsPortName) },
        ...scrapeTargets,
        ...kubelets,
        // Kubernetes service discovery.
        { peers: cidrs(c.network.apiServerCidrs), ports: tcp(443) },
      ],
    }),
    policy(c.namespaces, "alertmanager", {
      ingress: [
        { peers: [ingressControllerPods(c), pods(c.namespaces, "prometheus"), pods(c.namespaces, "grafana")], ports: tcp(a.http) },
        ...alertmanagerPeers,
      ],
      egress: [...alertmanagerPeers, { peers: cidrs(c.monitoring.alertmanager.receiverEgressCidrs), ports: tcp(...receiverPorts) }],
    }),
    policy(c.namespaces, "grafana", {
      ingress: [{ peers: [ingressControllerPods(c), pods(c.namespaces, "prometheus")], ports: tcp(g.http) }, ...grafanaPeers],
      egress: [
        { peers: [pods(c.namespaces, "prometheus")], ports: tcp(p.http) },
        { peers: [pods(c.namespaces, "alertmanager")], ports: tcp(a.http) },
        { peers: [pods(c.namespaces, "loki")], ports: tcp(topology.loki.ports.http) },
        { peers: [pods(c.namespaces, "jaegerQuery")], ports: tcp(topology.jaegerQuery.ports.http) },
        ...grafanaPeers,
        ...(grafana.database.kind === "postgres" ? [{ peers: cidrs(grafana.database.subnetCidrs), ports: tcp(postgresPort) }] : []),
      ],
    }),
  ];
}
