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
import { containerEnv, readerOf, tempDir, validateConfig, withLocalState } from "./support/peers";
import { renderStack, type Rendered } from "./support/harness";
import { defaultProjectDir, stackNames } from "../scripts/synth";

const collectorDocs = ["otel-agent.yaml", "otel-gateway.yaml", "otel-log-agent.yaml"];
const jaegerDocs = ["jaeger.yaml", "jaeger-query.yaml"];

for (const stack of stackNames(defaultProjectDir)) {
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
