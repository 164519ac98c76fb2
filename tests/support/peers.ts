/**
 * What the pipeline and validate tests add to the toolchain's runners (toolchain/run.ts): which rendered container
 * reads a document, the environment the kubelet would give it, and its state directories moved to a temp dir.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import type { Rendered } from "./harness";

export { eventually, metricSum, onLoopback, startPeer, tempDir, validateConfig, type Peer } from "../../toolchain/run";

/** The container that reads `file` (through a ConfigMap volume), with the workload it belongs to. */
export function readerOf(r: Rendered, file: string): { workload: Record<string, any>; container: Record<string, any> } {
  for (const { owner, spec } of r.podTemplates()) {
    const volumes = (spec.volumes ?? []) as Record<string, any>[];
    for (const container of [...(spec.initContainers ?? []), ...spec.containers] as Record<string, any>[]) {
      const reads = (container.volumeMounts ?? []).some((m: Record<string, any>) => {
        const name = volumes.find((v) => v.name === m.name)?.configMap?.name;
        return name && r.objects("ConfigMap").some((cm) => cm.metadata.name === name && cm.metadata.namespace === owner.metadata.namespace && file in (cm.data ?? {}));
      });
      if (reads && (container.args ?? []).some((a: string) => a.includes(file))) return { workload: owner, container };
    }
  }
  throw new Error(`no container reads ${file}`);
}

/** The container's environment as the kubelet would give it, downward-API values replaced by loopback stand-ins. */
export function containerEnv(container: Record<string, any>): Record<string, string> {
  const standIn: Record<string, string> = { "status.podIP": "127.0.0.1", "spec.nodeName": "node-1", "metadata.name": "pod-0", "metadata.namespace": "test" };
  return Object.fromEntries(
    ((container.env ?? []) as Record<string, any>[]).map((e) => {
      if (typeof e.value === "string") return [e.name, e.value];
      const field = e.valueFrom?.fieldRef?.fieldPath;
      assert.ok(field && standIn[field], `env ${e.name}: no stand-in for ${JSON.stringify(e.valueFrom)}`);
      return [e.name, standIn[field]];
    }),
  );
}

/** Points every directory a config keeps state in at `dir` (the pod gets them from volumes). */
export function withLocalState(doc: Record<string, any>, dir: string): Record<string, any> {
  const copy = structuredClone(doc);
  for (const [name, ext] of Object.entries((copy.extensions ?? {}) as Record<string, any>)) {
    if (name.startsWith("file_storage")) ext.directory = join(dir, name);
    for (const backend of Object.values((ext?.backends ?? {}) as Record<string, any>)) {
      if (backend.badger?.directories) backend.badger.directories = { keys: join(dir, "keys"), values: join(dir, "values") };
    }
  }
  return copy;
}
