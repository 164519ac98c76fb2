import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config";
import { authAnnotations, stickySessionAnnotations, tlsIngress } from "../k8s/ingress";
import { labelsFor } from "../k8s/labels";
import { topology } from "../topology";

/**
 * The one TLS Ingress of the tier, routing the Grafana, Prometheus and Alertmanager hosts to their Services. nginx
 * applies authentication per Ingress, so all three hosts are behind it; Grafana keeps its own login as well.
 */
export function deployMonitoringIngress(tier: string, c: StackConfig, parent: pulumi.Resource): void {
  tlsIngress(
    `${tier}-ingress`,
    {
      name: "monitoring",
      namespace: c.namespaces.monitoring,
      ingress: c.ingress,
      ingressController: c.network.ingressController,
      labels: labelsFor({ app: "monitoring", component: "ingress", instance: "monitoring" }),
      annotations: { ...authAnnotations(c.ingress.auth), ...stickySessionAnnotations("sigma-monitoring-affinity") },
      routes: (["grafana", "prometheus", "alertmanager"] as const).map((w) => ({
        host: c.ingress.hosts[w],
        serviceName: topology[w].id.instance,
        servicePort: topology[w].ports.http,
      })),
    },
    { parent },
  );
}
