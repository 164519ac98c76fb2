import * as assert from "assert";
import { res } from "../config/common";
import { identityAt, labelsFor, objectName, peerServicesNamedBeforeTheRule, selectorLabels } from "../components/k8s/labels";
import { containerLogStorage, ephemeralStorage, fieldEnv, hardenedContainer, hardenedPod, httpProbes, scratchVolume } from "../components/k8s/pod";
import { daemonSetArgs, deploymentArgs, spreadReplicas, statefulSetArgs, type WorkloadPod } from "../components/k8s/workload";
import { parseQuantity } from "../components/k8s/quantity";
import { buildService, serviceName, type ServiceSpec } from "../components/k8s/service";
import { workloadPods, workloadPolicy } from "../components/k8s/network";
import { namespaceOf, topology, type Workload } from "../components/topology";
import { validateStackConfig } from "../config";
import { defaultProjectDir, stackNames } from "../scripts/synth";
import { type Rendered, renderStack, stackValues } from "./support/harness";

const id = { app: "prometheus", component: "server", instance: "prometheus" };

describe("hardened pod builder", () => {
  const pod = hardenedPod({
    containers: [{ name: "main", image: "quay.io/prometheus/prometheus:v3.5.0", resources: res("500m", "1Gi", "2Gi"), probes: httpProbes("http", "/-/ready", "/-/healthy") }],
    initContainers: [{ name: "init", image: "busybox:1.37.0", resources: res("10m", "16Mi", "32Mi") }],
  }) as any;

  it("runs the pod as a non-root UID/GID with RuntimeDefault seccomp and no API token", () => {
    assert.deepStrictEqual(pod.securityContext, {
      runAsNonRoot: true,
      runAsUser: 65534,
      runAsGroup: 65534,
      fsGroup: 65534,
      fsGroupChangePolicy: "OnRootMismatch",
      seccompProfile: { type: "RuntimeDefault" },
    });
    assert.strictEqual(pod.automountServiceAccountToken, false);
  });

  it("locks down every container and init container field by field", () => {
    for (const c of [...pod.containers, ...pod.initContainers]) {
      assert.deepStrictEqual(c.securityContext, {
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      });
    }
  });

  it("always sets requests and a memory limit, and a CPU limit only when asked", () => {
    assert.deepStrictEqual(pod.containers[0].resources, {
      requests: { cpu: "500m", memory: "1Gi", "ephemeral-storage": containerLogStorage },
      limits: { memory: "2Gi", "ephemeral-storage": containerLogStorage },
    });
    const c = hardenedContainer({ name: "x", image: "a:1", resources: res("1", "1Gi", "1Gi", "2") }) as any;
    assert.deepStrictEqual(c.resources.limits, { cpu: "2", memory: "1Gi", "ephemeral-storage": containerLogStorage });
  });

  describe("ephemeral storage", () => {
    const main = { name: "main", image: "a:1", resources: res("1", "1Gi", "1Gi"), volumeMounts: [{ name: "tmp", mountPath: "/tmp" }, { name: "shared", mountPath: "/s" }] };
    const sidecar = { name: "sidecar", image: "b:1", resources: res("10m", "16Mi", "32Mi"), volumeMounts: [{ name: "shared", mountPath: "/s" }, { name: "ram", mountPath: "/r" }] };
    const volumes = [scratchVolume("tmp", "1Gi"), scratchVolume("shared", "256Mi"), { name: "ram", emptyDir: { medium: "Memory", sizeLimit: "1Gi" } }];

    it("requests and limits each container's logs plus the disk-backed emptyDirs it is the first to mount", () => {
      const sizes = ephemeralStorage({ containers: [main], initContainers: [sidecar], volumes });
      assert.deepStrictEqual(Object.fromEntries(sizes), { main: "1344Mi", sidecar: "64Mi" });
      const spec = hardenedPod({ containers: [main], initContainers: [sidecar], volumes }) as any;
      for (const c of [...spec.containers, ...spec.initContainers]) {
        assert.equal(c.resources.requests["ephemeral-storage"], sizes.get(c.name), c.name);
        assert.equal(c.resources.limits["ephemeral-storage"], sizes.get(c.name), c.name);
      }
    });

    it("covers every emptyDir's sizeLimit within the pod's limit, so the volume's own limit is reached first", () => {
      const sizes = ephemeralStorage({ containers: [main], initContainers: [sidecar], volumes });
      const podLimit = [...sizes.values()].reduce((n, q) => n + parseQuantity(q), 0);
      assert.equal(podLimit, parseQuantity("1Gi") + parseQuantity("256Mi") + 2 * parseQuantity(containerLogStorage));
    });

    it("refuses a disk-backed emptyDir without a sizeLimit", () => {
      assert.throws(() => ephemeralStorage({ containers: [main], volumes: [{ name: "tmp", emptyDir: {} }] }), /emptyDir "tmp" has no sizeLimit/);
    });
  });

  it("mounts the API token only when the workload needs it", () => {
    const p = hardenedPod({ containers: [], needsApiToken: true, serviceAccountName: "sd" }) as any;
    assert.strictEqual(p.automountServiceAccountToken, true);
    assert.strictEqual(p.serviceAccountName, "sd");
  });

  it("refuses to run a pod as root", () => {
    assert.throws(() => hardenedPod({ containers: [], user: { uid: 0, gid: 1000 } }), /pods never run as root: got uid 0, gid 1000/);
  });

  it("gives readiness and a more patient liveness probe", () => {
    const c = pod.containers[0];
    assert.deepStrictEqual(c.readinessProbe.httpGet, { path: "/-/ready", port: "http" });
    assert.deepStrictEqual(c.livenessProbe.httpGet, { path: "/-/healthy", port: "http" });
    assert.ok(c.livenessProbe.failureThreshold * c.livenessProbe.periodSeconds > c.readinessProbe.failureThreshold * c.readinessProbe.periodSeconds);
  });
});

describe("replica spreading", () => {
  it("keeps replicas on distinct nodes and spreads them across zones", () => {
    const s = spreadReplicas(id, 3) as any;
    const anti = s.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
    assert.deepStrictEqual(anti, [{ labelSelector: { matchLabels: selectorLabels(id) }, topologyKey: "kubernetes.io/hostname" }]);
    assert.deepStrictEqual(s.topologySpreadConstraints, [
      { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selectorLabels(id) } },
    ]);
  });

  it("adds no scheduling constraint to a single replica", () => {
    assert.deepStrictEqual(spreadReplicas(id, 1), {});
  });
});

describe("labels and names", () => {
  it("selects by stable labels and writes the managed-by/part-of labels last", () => {
    const l = labelsFor({ ...id, version: "v3.5.0" }, { "app.kubernetes.io/part-of": "something-else", team: "sre" });
    assert.strictEqual(l["app.kubernetes.io/part-of"], "sigma-observability");
    assert.strictEqual(l.team, "sre");
    assert.strictEqual(selectorLabels(id)["app.kubernetes.io/version"], undefined);
  });

  it("builds DNS-1123 names and refuses ones that cannot be", () => {
    assert.strictEqual(objectName("Loki", "chunks_cache"), "loki-chunks-cache");
    assert.throws(() => objectName("x".repeat(64)), /must be 1-63 characters/);
  });
});

describe("quantities", () => {
  it("parses binary, decimal and milli quantities as the API server does", () => {
    assert.strictEqual(parseQuantity("500m"), 0.5);
    assert.strictEqual(parseQuantity("2Gi"), 2 * 2 ** 30);
    assert.strictEqual(parseQuantity("1G"), 1e9);
    assert.throws(() => parseQuantity("2 GB"), /not a Kubernetes quantity/);
  });
});

describe("workload builders", () => {
  const lokiAt = (image: string) => identityAt({ app: "loki", component: "monolithic", instance: "loki" }, image);
  const loki = lokiAt("grafana/loki:3.6.7");
  const lokiPod: WorkloadPod = {
    user: { uid: 10001, gid: 10001 },
    serviceAccountName: "loki",
    containers: [{ name: "loki", image: "grafana/loki:3.6.7", resources: res("1", "2Gi", "4Gi"), volumeMounts: [{ name: "data", mountPath: "/var/loki" }] }],
  };
  const lokiSet = (id = loki, replicas = 3) =>
    statefulSetArgs({
      id,
      namespace: "logging",
      replicas,
      serviceName: "loki-headless",
      pod: lokiPod,
      checksums: { config: "abc123" },
      claims: [{ name: "data", size: "50Gi", storageClassName: "gp3-encrypted" }],
    }) as any;

  describe("a StatefulSet with claims", () => {
    const sts = lokiSet();

    it("names and labels the object after its identity, in its namespace", () => {
      assert.deepStrictEqual(sts.metadata, { name: "loki", namespace: "logging", labels: labelsFor(loki) });
    });

    it("selects its pods by the stable selector labels, which the template's labels contain", () => {
      assert.deepStrictEqual(sts.spec.selector, { matchLabels: selectorLabels(loki) });
      assert.deepStrictEqual(sts.spec.template.metadata.labels, labelsFor(loki));
      assert.strictEqual(sts.spec.template.metadata.labels["app.kubernetes.io/version"], "3.6.7");
    });

    it("starts pods in parallel behind the given headless Service and rolls them one at a time", () => {
      assert.strictEqual(sts.spec.serviceName, "loki-headless");
      assert.strictEqual(sts.spec.replicas, 3);
      assert.strictEqual(sts.spec.podManagementPolicy, "Parallel");
      assert.deepStrictEqual(sts.spec.updateStrategy, { type: "RollingUpdate" });
    });

    it("annotates the pod template with each checksum, so a config change rolls the pods", () => {
      assert.deepStrictEqual(sts.spec.template.metadata.annotations, { "checksum/config": "abc123" });
    });

    it("hardens the pod and spreads the replicas over nodes and zones", () => {
      assert.deepStrictEqual(sts.spec.template.spec, hardenedPod({ ...lokiPod, ...spreadReplicas(loki, 3) }));
      assert.strictEqual(sts.spec.template.spec.securityContext.runAsUser, 10001);
      assert.strictEqual(sts.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem, true);
      assert.strictEqual(sts.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey, "kubernetes.io/hostname");
      assert.strictEqual(sts.spec.template.spec.topologySpreadConstraints[0].topologyKey, "topology.kubernetes.io/zone");
    });

    it("claims one ReadWriteOnce volume per replica on the given StorageClass, and keeps claims on delete and scale-down", () => {
      assert.deepStrictEqual(sts.spec.volumeClaimTemplates, [
        { metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], storageClassName: "gp3-encrypted", resources: { requests: { storage: "50Gi" } } } },
      ]);
      assert.deepStrictEqual(sts.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Retain", whenScaled: "Retain" });
    });

    it("keeps the (immutable) claim templates unchanged across an image upgrade; only the pod template follows the version", () => {
      const upgraded = lokiSet(lokiAt("grafana/loki:3.7.0"));
      assert.deepStrictEqual(upgraded.spec.volumeClaimTemplates, sts.spec.volumeClaimTemplates);
      assert.deepStrictEqual(upgraded.spec.selector, sts.spec.selector);
      assert.strictEqual(upgraded.spec.template.metadata.labels["app.kubernetes.io/version"], "3.7.0");
    });
  });

  it("gives a StatefulSet without claims no claim templates, no retention policy and no annotations", () => {
    const spec = statefulSetArgs({ id: loki, namespace: "logging", replicas: 1, serviceName: "loki", pod: lokiPod }).spec as any;
    assert.deepStrictEqual(Object.keys(spec).sort(), ["podManagementPolicy", "replicas", "selector", "serviceName", "template", "updateStrategy"]);
    assert.deepStrictEqual(Object.keys(spec.template.metadata), ["labels"]);
    assert.strictEqual(spec.template.spec.affinity, undefined);
    assert.strictEqual(spec.template.spec.topologySpreadConstraints, undefined);
  });

  it("rolls a Deployment by surging one pod with the given unavailability, spread over nodes and zones", () => {
    const grafana = identityAt({ app: "grafana", component: "dashboards", instance: "grafana" }, "grafana/grafana:12.3.0");
    const pod: WorkloadPod = { containers: [{ name: "grafana", image: "grafana/grafana:12.3.0", resources: res("100m", "256Mi", "512Mi") }] };
    const d = deploymentArgs({ id: grafana, namespace: "monitoring", replicas: 2, maxUnavailable: 0, pod, checksums: { provisioning: "x:y" } }) as any;
    assert.deepStrictEqual(d.metadata, { name: "grafana", namespace: "monitoring", labels: labelsFor(grafana) });
    assert.strictEqual(d.spec.replicas, 2);
    assert.deepStrictEqual(d.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    assert.deepStrictEqual(d.spec.selector, { matchLabels: selectorLabels(grafana) });
    assert.deepStrictEqual(d.spec.template, {
      metadata: { labels: labelsFor(grafana), annotations: { "checksum/provisioning": "x:y" } },
      spec: hardenedPod({ ...pod, ...spreadReplicas(grafana, 2) }),
    });
  });

  describe("a DaemonSet", () => {
    const agent = identityAt({ app: "otel-collector", component: "log-agent", instance: "log-agent" }, "otel/opentelemetry-collector-contrib:0.135.0");
    const pod: WorkloadPod = {
      serviceAccountName: "log-agent",
      needsApiToken: true,
      tolerations: [{ operator: "Exists" }],
      containers: [
        { name: "otel-collector", image: "otel/opentelemetry-collector-contrib:0.135.0", env: [fieldEnv("K8S_NODE_NAME", "spec.nodeName")], resources: res("100m", "128Mi", "256Mi") },
      ],
    };
    const ds = daemonSetArgs({ id: agent, namespace: "log-agents", pod, checksums: { config: "def456" } }) as any;

    it("names, labels and selects like every workload, with no replica count", () => {
      assert.deepStrictEqual(ds.metadata, { name: "log-agent", namespace: "log-agents", labels: labelsFor(agent) });
      assert.deepStrictEqual(ds.spec.selector, { matchLabels: selectorLabels(agent) });
      assert.deepStrictEqual(Object.keys(ds.spec).sort(), ["selector", "template", "updateStrategy"]);
    });

    it("rolls one node at a time", () => {
      assert.deepStrictEqual(ds.spec.updateStrategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } });
    });

    it("runs the hardened pod unspread, with its tolerations, token and downward-API env as given", () => {
      assert.deepStrictEqual(ds.spec.template, {
        metadata: { labels: labelsFor(agent), annotations: { "checksum/config": "def456" } },
        spec: hardenedPod(pod),
      });
      assert.strictEqual(ds.spec.template.spec.affinity, undefined);
      assert.deepStrictEqual(ds.spec.template.spec.tolerations, [{ operator: "Exists" }]);
      assert.strictEqual(ds.spec.template.spec.automountServiceAccountToken, true);
      assert.deepStrictEqual(ds.spec.template.spec.containers[0].env, [{ name: "K8S_NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }]);
    });
  });
});

describe("Service builder", () => {
  const ports = [{ name: "http", port: 9090 }];
  const build = (spec: Partial<ServiceSpec> & Pick<ServiceSpec, "kind">) => buildService({ id, namespace: "monitoring", ports, ...spec } as ServiceSpec) as any;

  it("names a workload's own Service after the instance and its peer Service <instance>-headless", () => {
    assert.strictEqual(build({ kind: "clusterIP" }).metadata.name, id.instance);
    assert.strictEqual(build({ kind: "headless" }).metadata.name, id.instance);
    assert.strictEqual(build({ kind: "peers" }).metadata.name, `${id.instance}-headless`);
    assert.strictEqual(serviceName({ id, kind: "peers" }), build({ kind: "peers" }).metadata.name);
  });

  it("selects exactly the workload's pods, carries its labels and targets every port by name", () => {
    for (const kind of ["clusterIP", "headless", "peers"] as const) {
      const svc = build({ kind, ports: [...ports, { name: "cluster-udp", port: 9094, protocol: "UDP" }] });
      assert.deepStrictEqual(svc.spec.selector, selectorLabels(id), kind);
      assert.deepStrictEqual(svc.metadata.labels, labelsFor(id), kind);
      assert.deepStrictEqual(svc.spec.ports, [
        { name: "http", port: 9090, targetPort: "http" },
        { name: "cluster-udp", port: 9094, protocol: "UDP", targetPort: "cluster-udp" },
      ]);
    }
  });

  it("publishes not-ready pods on the peer Service only, and gives the headless kinds no virtual IP", () => {
    assert.deepStrictEqual([build({ kind: "peers" }).spec.clusterIP, build({ kind: "peers" }).spec.publishNotReadyAddresses], ["None", true]);
    assert.deepStrictEqual([build({ kind: "headless" }).spec.clusterIP, build({ kind: "headless" }).spec.publishNotReadyAddresses], ["None", undefined]);
    assert.strictEqual(build({ kind: "clusterIP" }).spec.clusterIP, undefined);
  });

  it("writes session affinity, node-local traffic and the type only when asked", () => {
    assert.deepStrictEqual(Object.keys(build({ kind: "clusterIP" }).spec).sort(), ["ports", "selector"]);
    const sticky = build({ kind: "clusterIP", sessionAffinity: "ClientIP", internalTrafficPolicy: "Local", explicitType: true }).spec;
    assert.deepStrictEqual(
      [sticky.sessionAffinity, sticky.sessionAffinityConfig, sticky.internalTrafficPolicy, sticky.type],
      ["ClientIP", { clientIP: { timeoutSeconds: 10800 } }, "Local", "ClusterIP"],
    );
  });
});

describe("NetworkPolicy model", () => {
  const c = validateStackConfig(stackValues("staging"));

  it("names a workload's pods by its namespace's immutable name label and its selector labels", () => {
    for (const w of Object.keys(topology) as Workload[]) {
      assert.deepStrictEqual(workloadPods(c.namespaces, w), {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespaceOf(c.namespaces, w) } },
        podSelector: { matchLabels: selectorLabels(topology[w].id) },
      });
    }
  });

  it("gives a workload's policy its instance name and namespace and selects its pods", () => {
    const flows = { ingress: [{ peers: [workloadPods(c.namespaces, "grafana")], ports: [{ protocol: "TCP", port: 9090 }] }], egress: [] };
    assert.deepStrictEqual(workloadPolicy(c.namespaces, "prometheus", flows), {
      name: topology.prometheus.id.instance,
      namespace: namespaceOf(c.namespaces, "prometheus"),
      podSelector: selectorLabels(topology.prometheus.id),
      ...flows,
    });
  });
});

describe("Services and workload NetworkPolicies of every committed stack", () => {
  const stacks = stackNames(defaultProjectDir);
  const rendered = new Map<string, Rendered>();
  before(async () => {
    for (const stack of stacks) rendered.set(stack, await renderStack(stack));
  });
  const each = (check: (r: Rendered, stack: string) => void) => () => {
    assert.ok(stacks.length > 0);
    for (const stack of stacks) check(rendered.get(stack)!, stack);
  };
  const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
  /** The Pulumi name of the component a resource was registered under. */
  const componentOf = (r: Rendered, urn: string | undefined) => r.resources.find((x) => x.urn === urn)!.name;

  it("target every Service port by a name that each selected pod declares", each((r, stack) => {
    for (const svc of r.objects("Service")) {
      const where = `${stack}: Service ${svc.metadata.namespace}/${svc.metadata.name}`;
      const pods = r.podTemplates().filter((t) => t.owner.metadata.namespace === svc.metadata.namespace && selects(svc.spec.selector, t.owner.spec.template.metadata.labels));
      assert.ok(pods.length > 0, `${where} selects no pod`);
      for (const port of svc.spec.ports) {
        assert.strictEqual(port.targetPort, port.name, where);
        for (const pod of pods) {
          const named = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].flatMap((ctr: any) => ctr.ports ?? []).filter((p: any) => p.name === port.name);
          assert.strictEqual(named.length, 1, `${where}: ${pod.owner.kind}/${pod.owner.metadata.name} has no single container port "${port.name}"`);
          assert.strictEqual(named[0].protocol ?? "TCP", port.protocol ?? "TCP", `${where}: port ${port.name}`);
        }
      }
    }
  }));

  it("name a Service after its instance, or <instance>-headless when it publishes not-ready peers (unless it governs a StatefulSet named before the rule)", each((r, stack) => {
    for (const svc of r.objects("Service")) {
      const instance = svc.spec.selector["app.kubernetes.io/instance"];
      const peers = svc.spec.clusterIP === "None" && svc.spec.publishNotReadyAddresses === true;
      const peerName = peerServicesNamedBeforeTheRule[instance] ?? `${instance}-headless`;
      assert.strictEqual(svc.metadata.name, peers ? peerName : instance, `${stack}: ${svc.metadata.namespace}/${svc.metadata.name}`);
    }
  }));

  it("register every Service and workload NetworkPolicy as <component>-<metadata.name>", each((r, stack) => {
    const records = r.resources.filter(
      (x) =>
        x.type === "kubernetes:core/v1:Service" ||
        (x.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && x.inputs.spec.podSelector.matchLabels?.["app.kubernetes.io/instance"] !== undefined),
    );
    assert.deepStrictEqual([...new Set(records.map((x) => x.inputs.kind))].sort(), ["NetworkPolicy", "Service"]);
    for (const x of records) assert.strictEqual(x.name, `${componentOf(r, x.parent)}-${x.inputs.metadata.name}`, `${stack}: ${x.type}`);
  }));
});
