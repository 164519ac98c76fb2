/**
 * Every rendered Kubernetes object is written as the API server stores it, so applying it twice changes nothing and
 * `pulumi refresh` after `up` shows no diff. The server drops empty lists and maps in its `omitempty` fields and a
 * `false` that is the default of an `omitempty` bool; an object carrying one is rewritten (generation and
 * resourceVersion bump) on every apply. Found by applying the rendered manifests to kube-apiserver 1.36 twice.
 */
import { strict as assert } from "assert";
import { renderStack } from "./support/harness";
import { stackNames, defaultProjectDir } from "../scripts/synth";

/** Maps the API server stores only when non-empty. */
const omitEmptyMaps = new Set(["matchLabels", "labels", "annotations", "data", "stringData", "nodeSelector"]);
/** Bools the API server stores only when true. */
const omitFalse = new Set(["publishNotReadyAddresses"]);

/** The fields of `value` (a path each) whose value the API server would drop. */
export function droppedByServer(value: unknown, path = ""): string[] {
  if (Array.isArray(value)) {
    return value.length === 0 ? [`${path}: []`] : value.flatMap((v, i) => droppedByServer(v, `${path}[${i}]`));
  }
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, v]) => {
    const at = path ? `${path}.${key}` : key;
    if (omitFalse.has(key) && v === false) return [`${at}: false`];
    if (omitEmptyMaps.has(key) && v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0) return [`${at}: {}`];
    return droppedByServer(v, at);
  });
}

describe("rendered manifests carry no value the API server drops (idempotent apply, no refresh diff)", () => {
  for (const stack of stackNames(defaultProjectDir)) {
    it(`${stack}: no empty list, no empty label map, no default false`, async () => {
      const r = await renderStack(stack);
      const found = r.objects().flatMap((o) => droppedByServer(o).map((f) => `${o.kind} ${o.metadata.namespace ?? "_cluster"}/${o.metadata.name}: ${f}`));
      assert.deepEqual(found, []);
    });
  }

  it("names the offending fields (the check can fail)", () => {
    const policy = { spec: { podSelector: { matchLabels: {} }, egress: [], ingress: [{ from: [{ podSelector: { matchLabels: {} } }] }] } };
    assert.deepEqual(droppedByServer(policy), ["spec.podSelector.matchLabels: {}", "spec.egress: []", "spec.ingress[0].from[0].podSelector.matchLabels: {}"]);
    assert.deepEqual(droppedByServer({ spec: { publishNotReadyAddresses: false, clusterIP: "None" } }), ["spec.publishNotReadyAddresses: false"]);
    assert.deepEqual(droppedByServer({ spec: { podSelector: {}, template: { spec: { volumes: [{ name: "tmp", emptyDir: {} }] } } } }), []);
  });
});
