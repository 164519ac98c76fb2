import { strict as assert } from "assert";
import { ConfigError, type StackConfig, validateStackConfig } from "../config";
import { durationSeconds } from "../config/common";
import { defaultServiceNames, serviceCatalog, serviceKeys } from "../catalog";
import { stackValues } from "./support/harness";
import { peakTrafficMix } from "./support/sampling-model";

/** The tracing section of a committed stack file, as a fresh copy to modify. */
function committed(stack: "staging" | "prod"): Record<string, any> {
  return stackValues(stack).tracing;
}

function withTracing(stack: "staging" | "prod", tracing: unknown): StackConfig {
  const values = stackValues(stack);
  values.tracing = tracing;
  return validateStackConfig(values, `${stack} with tracing`);
}

/** The problems a tracing section produces, as `path -> [value, allowed]`. */
function problems(stack: "staging" | "prod", tracing: unknown): Map<string, { value: unknown; allowed: string }> {
  try {
    withTracing(stack, tracing);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return new Map(e.problems.map((p) => [p.path, { value: p.value, allowed: p.allowed }]));
  }
  return new Map();
}

const prodStorage = (edit: (s: Record<string, any>) => void) => {
  const tracing = committed("prod");
  edit(tracing.jaeger.storage);
  return tracing;
};

describe("tracing config section", () => {
  it("parses from {} with each service's sampling defaults from its catalog entry and a single Badger collector", () => {
    const t = withTracing("staging", {}).tracing;
    assert.deepEqual(Object.keys(t.sampling.services), serviceKeys);
    for (const entry of serviceCatalog) {
      const { rate, slowThresholdMs, slowRate } = entry.sampling;
      assert.deepEqual(t.sampling.services[entry.key], { rate, slowThresholdMs, slowRate, serviceNames: defaultServiceNames(entry) }, entry.key);
    }
    assert.equal(t.sampling.defaultRate, 0.05);
    assert.equal(t.jaeger.storage.kind, "badger");
    assert.equal(t.jaeger.collector.replicas, 1);
    assert.equal(t.jaeger.query.replicas, 3);
  });

  it("accepts the committed staging and prod sections", () => {
    const staging = withTracing("staging", committed("staging")).tracing;
    assert.equal(staging.gateway.replicas, 2);
    const prod = withTracing("prod", committed("prod")).tracing;
    assert.equal(prod.jaeger.storage.kind, "opensearch");
    assert.equal(prod.jaeger.collector.replicas, 3);
  });

  it("defaults the collector to 3 replicas with OpenSearch when replicas is unset", () => {
    const tracing = committed("prod");
    delete tracing.jaeger.collector;
    assert.equal(withTracing("prod", tracing).tracing.jaeger.collector.replicas, 3);
  });

  it("rejects rates outside [0, 1] naming the key, the value and the range", () => {
    const found = problems("staging", { sampling: { defaultRate: -0.1, services: { ryot: { rate: 1.5 } } } });
    assert.deepEqual(found.get("tracing.sampling.services.ryot.rate"), { value: 1.5, allowed: "a fraction in [0, 1]" });
    assert.deepEqual(found.get("tracing.sampling.defaultRate"), { value: -0.1, allowed: "a fraction in [0, 1]" });
  });

  it("rejects an unknown service key and lists the known ones", () => {
    const unknown = "no-such-service";
    assert.ok(!(serviceKeys as readonly string[]).includes(unknown));
    const found = problems("staging", { sampling: { services: { [unknown]: { rate: 0.5 } } } });
    const p = found.get(`tracing.sampling.services.${unknown}`);
    assert.ok(p, `problems: ${[...found.keys()].join(", ")}`);
    assert.ok(p.allowed.startsWith(`one of the known services: ${serviceKeys.join(", ")} (`), p.allowed);
  });

  it("rejects a slow-trace rate below the baseline rate", () => {
    const p = problems("staging", { sampling: { services: { agents: { rate: 0.3, slowRate: 0.2 } } } }).get("tracing.sampling.services.agents.slowRate");
    assert.equal(p?.value, 0.2);
    assert.match(p!.allowed, /\[0\.3, 1\]/);
  });

  it("rejects a service.name claimed by two services", () => {
    const p = problems("staging", { sampling: { services: { agents: { serviceNames: ["ryot"] } } } }).get("tracing.sampling.services.agents.serviceNames");
    assert.equal(p?.value, "ryot");
  });

  it("rejects more than one Badger collector", () => {
    const p = problems("staging", { jaeger: { collector: { replicas: 2 } } }).get("tracing.jaeger.collector.replicas");
    assert.equal(p?.value, 2);
    assert.match(p!.allowed, /single-node/);
  });

  it("sizes num_traces for the expected rate with a replica down and uneven balancing", () => {
    // 3 replicas, 1 may be down: 3000/s over 2 survivors = 1500/s x 1.25 skew x 30s x 2 = 112500.
    const p = problems("prod", { ...committed("prod"), gateway: { replicas: 3, expectedNewTracesPerSec: 3000, numTraces: 20000 } }).get(
      "tracing.gateway.numTraces",
    );
    assert.equal(p?.value, 20000);
    assert.match(p!.allowed, /^an integer >= 112500/);
  });

  it("waits for the traffic model's longest trace plus the SDKs' export batching before deciding", () => {
    const g = withTracing("prod", committed("prod")).tracing.gateway;
    const longestTraceSeconds = Math.max(...Object.values(peakTrafficMix).map((t) => t.slowMs)) / 1000;
    const sdkBatchDelaySeconds = 5;
    assert.ok(
      durationSeconds(g.decisionWait) >= longestTraceSeconds + sdkBatchDelaySeconds,
      `decisionWait ${g.decisionWait} < ${longestTraceSeconds}s trace + ${sdkBatchDelaySeconds}s batching`,
    );
  });

  it("sizes the default buffer and memory limit for the default decision wait", () => {
    // 2500/s over 2 survivors = 1250/s x 1.25 x 30s x 2 = 93750 traces (default 100000); x 16 KiB = 1563Mi, twice
    // that within 3584Mi.
    const g = withTracing("prod", committed("prod")).tracing.gateway;
    assert.deepEqual([g.decisionWait, g.numTraces, g.resources.limits.memory], ["30s", 100000, "3584Mi"]);
    const p = problems("prod", { ...committed("prod"), gateway: { replicas: 3, numTraces: 50000 } }).get("tracing.gateway.numTraces");
    assert.match(p!.allowed, /^an integer >= 93750: .* held for decisionWait \(30s\)/);
  });

  it("requires the memory limit to hold the trace buffer twice over", () => {
    const tracing = { ...committed("prod"), gateway: { replicas: 3, numTraces: 50000, resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "1Gi" } } } };
    const p = problems("prod", tracing).get("tracing.gateway.resources.limits.memory");
    assert.equal(p?.value, "1Gi");
    assert.match(p!.allowed, /at least 1563Mi/);
  });

  it("checks the OpenSearch layout: nodes per zone, one subnet per zone, replicas across zones", () => {
    const found = problems(
      "prod",
      prodStorage((s) => {
        s.instanceCount = 4;
        s.vpc.subnetIds = s.vpc.subnetIds.slice(0, 2);
        s.indices.replicas = 0;
      }),
    );
    assert.match(found.get("tracing.jaeger.storage.instanceCount")!.allowed, /multiple of zoneCount \(3\)/);
    assert.match(found.get("tracing.jaeger.storage.vpc.subnetIds")!.allowed, /exactly zoneCount \(3\) subnets/);
    assert.equal(found.get("tracing.jaeger.storage.indices.replicas")?.value, 0);
  });

  it("rejects a zone count other than 2 or 3 and an invalid domain name", () => {
    const found = problems(
      "prod",
      prodStorage((s) => {
        s.zoneCount = 1;
        s.domainName = "Traces_Prod";
      }),
    );
    assert.ok(found.has("tracing.jaeger.storage.zoneCount"), [...found.keys()].join(", "));
    assert.match(found.get("tracing.jaeger.storage.domainName")!.allowed, /3-28 lowercase/);
  });
});

