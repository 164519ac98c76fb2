/**
 * Every rendered collector and Jaeger config of every stack, checked by the binary of the release we deploy
 * (`otelcol validate`, `jaeger validate`): unknown keys, component configs and pipelines as the real code reads them.
 *
 * Off-cluster stand-ins, and nothing else:
 * - environment variables come from the workload's own container `env`; downward-API values (pod IP, node name) get
 *   loopback and a fixed node name;
 * - directories the pod gets from a volume (the log agent's state on the node, Badger's data) point at a temp dir.
 */
import { strict as assert } from "assert";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { toGoYaml } from "../rules/yaml";
import { parseQuantity } from "../components/k8s/quantity";
import { validateConfig, tempDir } from "./support/peers";
import { renderStack, type Rendered } from "./support/harness";

const collectorDocs = ["otel-agent.yaml", "otel-gateway.yaml", "otel-log-agent.yaml"];
const jaegerDocs = ["jaeger.yaml", "jaeger-query.yaml"];

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

for (const stack of ["staging", "prod"]) {
  describe(`${stack}: collector and Jaeger configs under their own binaries`, function () {
    this.timeout(120_000);
    let r: Rendered;
    before(async () => {
      r = await renderStack(stack);
    });

    for (const file of [...collectorDocs, ...jaegerDocs]) {
      const binary = collectorDocs.includes(file) ? "otelcol" : "jaeger";
      it(`${file} passes \`${binary} validate\``, async () => {
        const text = r.configs()[file];
        assert.ok(text, `configs/${file} is rendered`);
        const { container } = readerOf(r, file);
        const tmp = await tempDir("validate-");
        try {
          const path = join(tmp.dir, file);
          const doc = withLocalState(parse(text) as Record<string, any>, tmp.dir);
          for (const ext of Object.values((doc.extensions ?? {}) as Record<string, any>)) {
            if (typeof ext?.directory === "string") await mkdir(ext.directory, { recursive: true });
          }
          await writeFile(path, toGoYaml(doc));
          const result = await validateConfig(binary, path, containerEnv(container));
          assert.equal(result.code, 0, `${binary} validate ${stack} ${file}:\n${result.output}`);
        } finally {
          await tmp.remove();
        }
      });
    }

    if (stack === "prod") {
      it("jaeger validate refuses the index rotation block older Jaeger configs carried (the check can fail)", async () => {
        const doc = parse(r.configs()["jaeger.yaml"]) as Record<string, any>;
        const spans = doc.extensions.jaeger_storage.backends.traces.opensearch.indices.spans;
        spans.rotation = { periodic: { date_layout: spans.date_layout, rollover_frequency: spans.rollover_frequency } };
        const tmp = await tempDir("validate-");
        try {
          await writeFile(join(tmp.dir, "bad.yaml"), toGoYaml(doc));
          const result = await validateConfig("jaeger", join(tmp.dir, "bad.yaml"));
          assert.notEqual(result.code, 0);
          assert.match(result.output, /'opensearch\.indices\.spans' has invalid keys: rotation/);
        } finally {
          await tmp.remove();
        }
      });
    }

    it("every collector build (agents, gateway, log agent, Jaeger) runs with GOMEMLIMIT at 80% of its memory limit", () => {
      const collectors = r.podTemplates().flatMap(({ owner, spec }) =>
        (spec.containers as Record<string, any>[])
          .filter((c) => /opentelemetry-collector|jaegertracing\/jaeger:/.test(c.image))
          .map((c) => ({ where: `${owner.kind} ${owner.metadata.name}`, c })));
      assert.equal(collectors.length, 5, collectors.map((x) => x.where).join(", "));
      for (const { where, c } of collectors) {
        const limitMiB = parseQuantity(c.resources.limits.memory) / 2 ** 20;
        const env = (c.env as Record<string, any>[]).find((e) => e.name === "GOMEMLIMIT");
        assert.equal(env?.value, `${Math.floor(limitMiB * 0.8)}MiB`, where);
      }
    });

    it("validate refuses a key the release does not know (the check can fail)", async () => {
      const doc = parse(r.configs()["otel-gateway.yaml"]) as Record<string, any>;
      doc.processors.tail_sampling.rotation = { periodic: true };
      const tmp = await tempDir("validate-");
      try {
        await writeFile(join(tmp.dir, "bad.yaml"), toGoYaml(doc));
        const result = await validateConfig("otelcol", join(tmp.dir, "bad.yaml"));
        assert.notEqual(result.code, 0);
        assert.match(result.output, /tail_sampling[\s\S]*rotation/);
      } finally {
        await tmp.remove();
      }
    });
  });
}
