/**
 * The real Pulumi engine deploys the local stack to a real Kubernetes API server, with the policy pack, and the
 * provider's await logic runs against workloads that really become Ready (kube-scheduler places the pods on kwok's
 * nodes; no skipAwait anywhere). The steps run in order on one stack, each timed:
 *
 * 1. preview with the pack: no violation; with the prod rules the preview fails with exactly the mandatory violations
 *    the offline runner finds, and an update in that state changes nothing;
 * 2. up: every resource created, every workload Ready;
 * 3. a second up changes nothing; refresh finds no drift; a preview that expects no changes passes;
 * 4. the release script against real plans: a replaced StatefulSet is refused without --allow-data-loss, the update
 *    is bound to the previewed plan, and with --yes --allow-data-loss it applies;
 * 5. with `protectData` on, destroy stops before any data-holding resource; with it off, destroy removes everything.
 *
 * Real: the CLI, the Kubernetes provider, the policy pack (through the analyzer launcher), etcd, kube-apiserver,
 * controller-manager, scheduler. Stand-ins: kwok's nodes, the storage and ingress controller of a real cluster (see
 * cluster.ts), and the random provider (stand-ins/random.ts).
 */
import { strict as assert } from "assert";
import { writeFileSync } from "fs";
import { join } from "path";
import type { OpMap, Stack } from "@pulumi/pulumi/automation";
import { policies } from "../../policies/pack";
import { runPolicies } from "../../policies/offline";
import { release, automationEngine } from "../../scripts/release";
import { renderStack, renderWith } from "../support/harness";
import { eventually } from "../../toolchain/run";
import { provisionVolumes, startCluster, workloadsNotReady, writeIngressStatus, type Cluster } from "./cluster";
import { engineStack, policyPackDir, type EngineStack } from "./engine";

const nodes = 3;

describe("the Pulumi engine deploys the local stack to a real API server", function () {
  this.timeout(600_000);
  let cluster: Cluster;
  let engine: EngineStack;
  let stack: Stack;
  let objects: Record<string, any>[] = [];
  let stopIngress: (() => Promise<void>) | undefined;
  const timings: string[] = [];

  /** Runs one timed step and prints its duration. */
  async function timed<T>(what: string, run: () => Promise<T>): Promise<T> {
    const started = Date.now();
    const result = await run();
    const line = `${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`;
    timings.push(line);
    console.log(`      ${line}`);
    return result;
  }

  /** Our objects (from the render) that the API server still holds. */
  async function present(kinds?: string[]): Promise<string[]> {
    const found: string[] = [];
    for (const o of objects.filter((x) => !kinds || kinds.includes(x.kind))) {
      const r = await cluster.api("GET", await cluster.pathOf(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name));
      if (r.status === 200 && !r.body.metadata?.deletionTimestamp) found.push(`${o.kind} ${o.metadata.namespace ?? "_cluster"}/${o.metadata.name}`);
    }
    return found;
  }

  const resourcesInState = async () => ((await stack.exportStack()).deployment.resources ?? []).length as number;
  const changed = (ops: OpMap | undefined) => Object.entries(ops ?? {}).filter(([op, n]) => op !== "same" && (n ?? 0) > 0);

  before(async () => {
    objects = (await renderStack("local")).objects();
    cluster = await startCluster({ count: nodes, zones: ["zone-a", "zone-b", "zone-c"] });
    await provisionVolumes(cluster, objects);
    stopIngress = writeIngressStatus(cluster);
    engine = await engineStack("local", cluster.kubeconfig);
    stack = engine.stack;
  });
  after(async () => {
    if (timings.length > 0) console.log(`      engine steps:\n${timings.map((t) => `        ${t}`).join("\n")}`);
    await stopIngress?.();
    await engine?.remove();
    await cluster?.stop();
  });

  it("1. previews with the pack: no violation; the prod rules fail it exactly as the offline runner does, and an update changes nothing", async () => {
    const events: string[] = [];
    const preview = await timed("1. preview with the policy pack", () =>
      stack.preview({ policyPacks: [policyPackDir], onEvent: (e) => e.policyEvent && events.push(`${e.policyEvent.policyName}: ${e.policyEvent.message}`) }));
    assert.deepEqual(events, [], "the local stack violates no policy of its environment");
    assert.ok((preview.changeSummary.create ?? 0) > objects.length, `preview plans every resource: ${JSON.stringify(preview.changeSummary)}`);

    // The prod rules, given to every policy whose verdict depends on the environment.
    const prodConfig = join(engine.workDir, "prod-rules.json");
    writeFileSync(prodConfig, JSON.stringify(Object.fromEntries(
      policies.filter((p) => (p.configSchema?.properties ?? {}).environment).map((p) => [p.name, { environment: "prod" }]))));
    const mandatory = new Set<string>();
    const collect = (e: { policyEvent?: { policyName: string; enforcementLevel: string; resourceUrn?: string } }) => {
      if (e.policyEvent?.enforcementLevel === "mandatory") mandatory.add(`${e.policyEvent.policyName} ${e.policyEvent.resourceUrn ?? "(stack)"}`);
    };
    await timed("1. preview with the prod rules (fails)", () =>
      assert.rejects(stack.preview({ policyPacks: [policyPackDir], policyPackConfigs: [prodConfig], onEvent: collect })));
    const offline = await runPolicies((await renderStack("local")).resources, { environment: "prod" });
    const expected = new Set(offline.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policy} ${v.urn ?? "(stack)"}`));
    assert.ok(expected.size > 0, "the prod rules find mandatory violations in the local stack");
    assert.deepEqual([...mandatory].sort(), [...expected].sort(), "the real analyzer and the offline runner agree");
    console.log(`      prod rules: ${mandatory.size} mandatory violations of ${new Set([...mandatory].map((m) => m.split(" ")[0])).size} policies, the same as offline`);

    // The pipeline's path: the release previews first, so the violations stop it before any change. (A bare `up`
    // would not: Automation API updates skip the preview, and stack policies run only after every resource is
    // registered, so `up` creates everything and then fails.)
    const log: string[] = [];
    const refused = await timed("1. release --yes with the prod rules (refused)", () => release(
      automationEngine(stack, { policyPacks: [policyPackDir], policyPackConfigs: [prodConfig] }, () => undefined),
      { stack: "local", projectDir: engine.workDir, apply: true, allowDataLoss: false, log: (l) => log.push(l) }));
    assert.equal(refused, 1, log.join("\n"));
    assert.equal(log.filter((l) => l.includes("blocked: mandatory policy")).length, mandatory.size, log.join("\n"));
    assert.deepEqual(await present(), [], "nothing reached the API server");
    assert.ok(await resourcesInState() === 0, "nothing is in the state");
  });

  it("2. up creates every resource and every workload becomes Ready", async () => {
    const up = await timed("2. up (workloads awaited)", () => stack.up({ policyPacks: [policyPackDir] }));
    assert.deepEqual(changed(up.summary.resourceChanges).map(([op]) => op), ["create"], JSON.stringify(up.summary.resourceChanges));
    assert.equal((await present()).length, objects.length, "every rendered object exists in the API server");
    assert.deepEqual(await workloadsNotReady(cluster, objects, nodes), [], "the provider returned only once every workload was Ready");
  });

  it("3. a second up changes nothing, refresh finds no drift, and a preview expecting no changes passes", async () => {
    const up = await timed("3. second up", () => stack.up({ policyPacks: [policyPackDir] }));
    assert.deepEqual(changed(up.summary.resourceChanges), [], `a second up changed: ${JSON.stringify(up.summary.resourceChanges)}`);
    const refresh = await timed("3. refresh", () => stack.refresh());
    assert.deepEqual(changed(refresh.summary.resourceChanges), [], `refresh found drift: ${JSON.stringify(refresh.summary.resourceChanges)}`);
    await timed("3. preview --expect-no-changes", () => stack.preview({ policyPacks: [policyPackDir], expectNoChanges: true }));
  });

  it("4. the release script refuses a data-losing plan, binds the update to the plan, and applies with --yes", async () => {
    const log: string[] = [];
    const options = { stack: "local", projectDir: engine.workDir, log: (l: string) => log.push(l) };
    const engineFor = () => automationEngine(stack, { policyPacks: [policyPackDir] }, () => undefined);
    // Moving Loki to another namespace replaces the Namespace, which deletes everything in it, Loki's claims included.
    await stack.setConfig("namespaces.logging", { value: "logging-v2" }, true);
    const refused = await timed("4. release dry run (refused)", () => release(engineFor(), { ...options, apply: false, allowDataLoss: false }));
    assert.equal(refused, 1, log.join("\n"));
    assert.match(log.join("\n"), /blocked: replace of urn:pulumi:local::sigma-observability::.*Namespace::platform-ns-logging would destroy data/);

    // The update applies the reviewed plan or nothing: a config edit after the preview stops it.
    const bound = engineFor();
    await bound.preview();
    await stack.setConfig("namespaces.logging", { value: "logging-v3" }, true);
    await timed("4. update off its plan (refused)", () => assert.rejects(bound.up(), /violates plan/));
    const namespace = async (name: string) => (await cluster.api("GET", `/api/v1/namespaces/${name}`)).status;
    assert.equal(await namespace("logging-v3"), 404, "nothing was applied");
    assert.equal(await namespace("logging"), 200);

    await stack.setConfig("namespaces.logging", { value: "logging-v2" }, true);
    const moved = (await renderWith("local", (v) => (v.namespaces = { ...v.namespaces, logging: "logging-v2" }))).objects();
    await provisionVolumes(cluster, moved);
    log.length = 0;
    const applied = await timed("4. release --yes --allow-data-loss", () => release(engineFor(), { ...options, apply: true, allowDataLoss: true }));
    assert.equal(applied, 0, log.join("\n"));
    objects = moved;
    assert.deepEqual(await workloadsNotReady(cluster, objects, nodes), [], "Loki and its caches run in their new namespace");
    await eventually("the old namespace gone", 60_000, async () => ((await namespace("logging")) === 404 ? true : undefined));
  });

  it("5. with protectData on, destroy stops before any data-holding resource; with it off, destroy removes everything", async () => {
    await stack.setConfig("protectData", { value: "true" }, true);
    await timed("5. up with protectData", () => stack.up({ policyPacks: [policyPackDir] }));
    // The data: every claim (StatefulSets retain theirs when deleted) and the Namespaces that hold them.
    const data = async () => {
      const claims = ((await cluster.api("GET", "/api/v1/persistentvolumeclaims")).body.items as any[]).map((c) => `PVC ${c.metadata.namespace}/${c.metadata.name}`);
      const namespaces = new Set(claims.map((c) => c.split(" ")[1].split("/")[0]));
      return [...claims, ...(await present(["Namespace"])).filter((n) => namespaces.has(n.split("/")[1]))].sort();
    };
    const held = await data();
    assert.ok(held.some((d) => d.startsWith("PVC")) && held.some((d) => d.startsWith("Namespace")), held.join(", "));
    await timed("5. destroy with protectData (refused)", () => assert.rejects(stack.destroy(), /protect/));
    assert.deepEqual(await data(), held, "every claim and every Namespace holding claims is still there");

    await stack.setConfig("protectData", { value: "false" }, true);
    await timed("5. up without protectData", () => stack.up({ policyPacks: [policyPackDir] }));
    await timed("5. destroy", () => stack.destroy());
    await eventually("every object of the stack gone", 120_000, async () => ((await present()).length === 0 ? true : undefined))
      .catch(async (e: Error) => assert.fail(`${e.message}: ${(await present()).join(", ")}`));
    assert.equal(await resourcesInState(), 0);
  });
});
