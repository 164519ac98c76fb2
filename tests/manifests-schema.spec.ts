import * as assert from "assert";
import { renderStack } from "./support/harness";
import { schemaError } from "./support/schema";
import { defaultProjectDir, stackNames } from "../scripts/synth";

describe("every rendered manifest passes the upstream Kubernetes OpenAPI schema", () => {
  for (const stack of stackNames(defaultProjectDir)) {
    it(stack, async () => {
      const r = await renderStack(stack);
      const objects = r.objects();
      assert.ok(objects.length > 10, `only ${objects.length} objects rendered`);
      const failures: string[] = [];
      for (const o of objects) {
        const error = await schemaError(o);
        if (error) failures.push(`${o.kind} ${o.metadata?.namespace ?? ""}/${o.metadata?.name}: ${error}`);
      }
      assert.deepStrictEqual(failures, []);
    });
  }

  it("the validator itself rejects what the API server would", async () => {
    const bad = {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "x" },
      spec: { replicas: "two", serviceName: "x", selector: { matchLabels: { a: "b" } }, template: { spec: { containers: [{ image: "a:1" }] } } },
    };
    const error = await schemaError(bad);
    assert.ok(error, "an invalid StatefulSet passed");
    assert.match(error!, /replicas|name/);
  });
});
