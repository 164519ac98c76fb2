/**
 * The engine part of `npm run bench`: the real Pulumi engine against a real API server (the e2e suite's peers, built
 * by `npm run toolchain -- engine`), timing, in one run on one cluster:
 * - the floor: preview of a one-resource program (one ConfigMap) through the same CLI, provider and analyzer;
 * - preview of the local stack with the policy pack, and without it;
 * - up of the local stack from empty (workloads awaited on kwok nodes), then a no-op up;
 * and printing each median against the floor. Everything it starts it stops.
 */
import * as k8s from "@pulumi/kubernetes";
import type { Stack } from "@pulumi/pulumi/automation";
import { renderStack } from "../../tests/support/harness";
import { provisionVolumes, startCluster, writeIngressStatus } from "../../tests/e2e/cluster";
import { engineStack, policyPackDir } from "../../tests/e2e/engine";
import { median } from "./median";

export interface EngineTiming {
  name: string;
  seconds: number[];
}

async function time(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
}

/** Runs the engine measurements with `runs` repetitions of each preview; returns the printed table's rows. */
export async function benchEngine(runs: number, log: (line: string) => void = console.log): Promise<EngineTiming[]> {
  const objects = (await renderStack("local")).objects();
  const cluster = await startCluster({ count: 3, zones: ["zone-a", "zone-b", "zone-c"] });
  const stopIngress = writeIngressStatus(cluster);
  const stacks: { remove(): Promise<void> }[] = [];
  try {
    await provisionVolumes(cluster, objects);
    const floor = await engineStack("floor", cluster.kubeconfig, async () => {
      const cm = new k8s.core.v1.ConfigMap("floor", { metadata: { name: "bench-floor", namespace: "default" }, data: { a: "b" } });
      return { name: cm.metadata.name };
    });
    stacks.push(floor);
    const local = await engineStack("local", cluster.kubeconfig);
    stacks.push(local);
    const repeat = async (name: string, s: Stack, op: (s: Stack) => Promise<unknown>): Promise<EngineTiming> => {
      const seconds: number[] = [];
      for (let i = 0; i < runs; i++) seconds.push(await time(() => op(s)));
      return { name, seconds };
    };
    const rows: EngineTiming[] = [];
    rows.push(await repeat("preview, one resource (floor)", floor.stack, (s) => s.preview()));
    rows.push(await repeat("preview local", local.stack, (s) => s.preview()));
    rows.push(await repeat("preview local + policy pack", local.stack, (s) => s.preview({ policyPacks: [policyPackDir] })));
    rows.push({ name: "up local from empty (+ pack)", seconds: [await time(() => local.stack.up({ policyPacks: [policyPackDir] }))] });
    rows.push(await repeat("up local, no changes (+ pack)", local.stack, (s) => s.up({ policyPacks: [policyPackDir] })));
    await local.stack.destroy();
    const base = median(rows[0].seconds);
    log(`engine (Pulumi CLI, Kubernetes provider, kube-apiserver with 3 kwok nodes; ${runs} runs per preview, median):`);
    log(`${"operation".padEnd(32)} ${"wall".padStart(8)} ${"x floor".padStart(8)}`);
    for (const r of rows) log(`${r.name.padEnd(32)} ${`${median(r.seconds).toFixed(1)}s`.padStart(8)} ${(median(r.seconds) / base).toFixed(1).padStart(8)}`);
    return rows;
  } finally {
    for (const s of stacks) await s.remove();
    await stopIngress();
    await cluster.stop();
  }
}
