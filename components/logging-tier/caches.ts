import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config";
import { res } from "../../config/common";
import { identityAt } from "../k8s/labels";
import { httpProbes, tcpProbes } from "../k8s/pod";
import { type HeadlessService, deployService, serviceName } from "../k8s/service";
import { disruptionBudget, statefulSetArgs } from "../k8s/workload";
import { topology } from "../topology";

/** The official memcached image creates and runs as `memcache` with this UID/GID. */
export const memcachedUser = { uid: 11211, gid: 11211 } as const;

/** Connections memcached accepts; every Loki replica keeps a pool to every cache pod. */
const maxConnections = 4096;

export type CacheRole = "chunksCache" | "resultsCache";

/** The prefix of a cache's workload resources under the tier's name. */
const rolePrefix: Record<CacheRole, string> = { chunksCache: "chunks-cache", resultsCache: "results-cache" };

/**
 * Container memory for a memcached given `-m` MiB of item memory: 20% on top for connection buffers, hash table and
 * slab overhead, so the kernel never OOM-kills a full cache.
 */
export function memcachedContainerMemoryMiB(itemMemoryMiB: number): number {
  return Math.ceil(itemMemoryMiB * 1.2);
}

/** memcached's command line for a cache of `memoryMiB` holding items up to `maxItemMiB`. */
export function memcachedArgs(memoryMiB: number, maxItemMiB: number): string[] {
  return ["-m", String(memoryMiB), "-I", `${maxItemMiB}m`, "-c", String(maxConnections)];
}

/**
 * One memcached tier for Loki (chunks or query results): a StatefulSet, so pod names and thus the consistent-hash
 * ring stay stable across restarts, with the memcached exporter beside it, behind a headless Service Loki discovers
 * through DNS SRV. `tier` is the logging tier's name, the prefix of every child's logical name.
 */
export function deployCache(tier: string, c: StackConfig, role: CacheRole, parent: pulumi.Resource) {
  const name = `${tier}-${rolePrefix[role]}`;
  const cfg = role === "chunksCache" ? c.logging.caches.chunks : c.logging.caches.results;
  const e = topology[role];
  const id = identityAt(e.id, c.images.memcached);
  const ns = c.namespaces.logging;
  const memory = `${memcachedContainerMemoryMiB(cfg.memoryMiB)}Mi`;
  const opts = { parent };

  const service: HeadlessService = {
    kind: "headless",
    id,
    namespace: ns,
    ports: [
      { name: "client", port: e.ports.client },
      { name: "metrics", port: e.ports.metrics },
    ],
  };
  deployService(tier, service, { ...opts, aliases: [{ name: `${name}-service` }] });

  const statefulSet = new k8s.apps.v1.StatefulSet(
    `${name}-statefulset`,
    statefulSetArgs({
      id,
      namespace: ns,
      replicas: cfg.replicas,
      serviceName: serviceName(service),
      pod: {
        user: memcachedUser,
        containers: [
          {
            name: "memcached",
            image: c.images.memcached,
            args: memcachedArgs(cfg.memoryMiB, c.logging.caches.maxItemMiB),
            ports: [{ name: "client", containerPort: e.ports.client }],
            resources: res(cfg.cpu, memory, memory),
            probes: tcpProbes("client"),
          },
          {
            name: "exporter",
            image: c.images.memcachedExporter,
            args: [`--memcached.address=localhost:${e.ports.client}`, `--web.listen-address=:${e.ports.metrics}`],
            ports: [{ name: "metrics", containerPort: e.ports.metrics }],
            resources: res("10m", "32Mi", "64Mi"),
            probes: httpProbes("metrics", "/metrics"),
          },
        ],
      },
    }),
    opts,
  );

  disruptionBudget(`${name}-pdb`, { id, namespace: ns, replicas: cfg.replicas, maxUnavailable: 1 }, opts);
  return { statefulSet, id };
}
