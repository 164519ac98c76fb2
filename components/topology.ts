import type { StackConfig } from "../config";
import { stackComponents, type Endpoint } from "../catalog/components";

export type { Endpoint } from "../catalog/components";

type Components = typeof stackComponents;

/** A workload of the stack: an endpoint of one of its components. */
export type Workload = { [K in keyof Components]: keyof Components[K]["endpoints"] }[keyof Components];

/**
 * Every component's endpoints by workload name. A workload name two components share, or a metrics port a workload
 * does not have, is an error at load rather than a silently overwritten row or a scrape job on no port.
 */
export function endpointsOf(components: Readonly<Record<string, { endpoints: Readonly<Record<string, Endpoint>> }>>): Record<string, Endpoint> {
  const all: Record<string, Endpoint> = {};
  const owner: Record<string, string> = {};
  for (const [key, c] of Object.entries(components)) {
    for (const [w, e] of Object.entries(c.endpoints)) {
      if (w in all) throw new Error(`component ${key}: workload "${w}" is already an endpoint of component ${owner[w]}`);
      if (!(e.metricsPort in e.ports)) {
        throw new Error(`component ${key}, workload ${w}: metricsPort "${e.metricsPort}" is not one of its ports (${Object.keys(e.ports).join(", ")})`);
      }
      all[w] = e;
      owner[w] = key;
    }
  }
  return all;
}

/**
 * Who runs where and on which ports: the identity (labels), namespace role and ports of every workload in the stack,
 * gathered from the component registry (catalog/components.ts).
 */
export const topology = endpointsOf(stackComponents) as Readonly<Record<Workload, Endpoint>>;

/** The namespace of each tier, as the stack config names them: all the topology helpers need of a stack. */
export type Namespaces = Readonly<StackConfig["namespaces"]>;

/** The namespace a workload runs in, for this stack. */
export function namespaceOf(namespaces: Namespaces, w: Workload): string {
  return namespaces[topology[w].namespace];
}

/** The in-cluster URL of a workload's Service (`http://<instance>.<namespace>.svc.cluster.local:<port>`). */
export function serviceUrl(namespaces: Namespaces, w: Workload, port: string, scheme = "http"): string {
  const e: Endpoint = topology[w];
  if (!(port in e.ports)) throw new Error(`${w} has no port "${port}"; it has ${Object.keys(e.ports).join(", ")}`);
  return `${scheme}://${serviceHost(namespaces, w)}:${e.ports[port]}`;
}

/** The in-cluster DNS name of a workload's Service. */
export function serviceHost(namespaces: Namespaces, w: Workload): string {
  return `${topology[w].id.instance}.${namespaceOf(namespaces, w)}.svc.cluster.local`;
}
