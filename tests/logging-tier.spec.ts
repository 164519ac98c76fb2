import * as assert from "assert";
import { parse } from "yaml";
import { lokiConfig, lokiHours } from "../components/logging-tier/loki-config";
import { memcachedContainerMemoryMiB } from "../components/logging-tier/caches";
import { loggingPolicies } from "../components/logging-tier/network";
import { containerLogStorage } from "../components/k8s/pod";
import { parseQuantity } from "../components/k8s/quantity";
import { validateStackConfig } from "../config";
import { durationSeconds } from "../config/common";
import { type Rendered, renderStack, renderWith, stackValues } from "./support/harness";

const podLabels = (o: Record<string, any>) => o.spec.template.metadata.labels as Record<string, string>;
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe("LoggingTier", () => {
  let prod: Rendered;
  let local: Rendered;
  let loki: Record<string, any>;
  /** The committed prod stack's config, which every prod expectation is computed from. */
  const c = validateStackConfig(stackValues("prod"));
  before(async () => {
    prod = await renderStack("prod");
    // The planned `local` stack: no archive, so Loki keeps everything on its single replica's volume.
    local = await renderWith("staging", (v) => {
      delete v.archive;
      v.logging = { ...v.logging, loki: { ...v.logging?.loki, replicas: 1, replicationFactor: 1 } };
    });
    loki = parse(prod.configs()["loki.yaml"]);
  });

  describe("Loki (prod)", () => {
    it("runs the configured replicas of the monolithic target in a StatefulSet with a WAL volume on the encrypted class", () => {
      const sts = prod.object("StatefulSet", "loki", "logging");
      assert.strictEqual(sts.spec.replicas, c.logging.loki.replicas);
      assert.strictEqual(sts.spec.serviceName, "loki-memberlist", "the peer Service publishes each replica's DNS name");
      assert.strictEqual(sts.spec.podManagementPolicy, "Parallel");
      const [container] = sts.spec.template.spec.containers;
      assert.deepStrictEqual(container.args, ["-config.file=/etc/loki/loki.yaml", "-target=all", "-config.expand-env=true"]);
      assert.deepStrictEqual(sts.spec.volumeClaimTemplates, [
        { metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], storageClassName: c.storageClass.name, resources: { requests: { storage: c.logging.loki.storage } } } },
      ]);
      assert.ok(container.volumeMounts.some((m: any) => m.name === "data" && m.mountPath === loki.ingester.wal.dir.replace(/\/wal$/, "")));
    });

    it("spreads replicas (hard anti-affinity per node) and keeps all but the configured number up through disruptions", () => {
      const sts = prod.object("StatefulSet", "loki", "logging");
      const anti = sts.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
      assert.strictEqual(anti[0].topologyKey, "kubernetes.io/hostname");
      assert.ok(matches(anti[0].labelSelector.matchLabels, podLabels(sts)));
      const pdb = prod.object("PodDisruptionBudget", "loki", "logging");
      assert.ok(c.logging.loki.maxUnavailable < c.logging.loki.replicas);
      assert.strictEqual(pdb.spec.maxUnavailable, c.logging.loki.maxUnavailable);
      assert.deepStrictEqual(pdb.spec.selector.matchLabels, sts.spec.selector.matchLabels);
    });

    it("runs hardened as the image's non-root user, with no API token, and assumes the archive role through IRSA", () => {
      const pod = prod.object("StatefulSet", "loki", "logging").spec.template.spec;
      assert.deepStrictEqual([pod.securityContext.runAsNonRoot, pod.securityContext.runAsUser, pod.securityContext.runAsGroup], [true, 10001, 10001]);
      assert.strictEqual(pod.automountServiceAccountToken, false);
      const sc = pod.containers[0].securityContext;
      assert.deepStrictEqual([sc.readOnlyRootFilesystem, sc.allowPrivilegeEscalation, sc.capabilities.drop], [true, false, ["ALL"]]);
      assert.strictEqual(pod.serviceAccountName, "loki");
      const sa = prod.object("ServiceAccount", "loki", "logging");
      assert.strictEqual(sa.metadata.annotations["eks.amazonaws.com/role-arn"], "[computed]");
      const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value]));
      assert.match(env.LOKI_S3_SSE_KMS_KEY_ID, /^arn:aws:kms:eu-west-1:\d{12}:key\//);
    });

    it("requests and limits ephemeral storage for its logs and its 1Gi /tmp, so disk pressure does not evict it first", () => {
      const pod = prod.object("StatefulSet", "loki", "logging").spec.template.spec;
      const tmp = pod.volumes.find((v: any) => v.name === "tmp").emptyDir.sizeLimit;
      assert.strictEqual(tmp, "1Gi");
      const { requests, limits } = pod.containers[0].resources;
      assert.strictEqual(parseQuantity(requests["ephemeral-storage"]), parseQuantity(tmp) + parseQuantity(containerLogStorage));
      assert.strictEqual(limits["ephemeral-storage"], requests["ephemeral-storage"]);
    });

    it("rolls the pods when the config changes", () => {
      const sts = prod.object("StatefulSet", "loki", "logging");
      assert.match(sts.spec.template.metadata.annotations["checksum/config"], /^[0-9a-f]{64}$/);
    });
  });

  describe("Loki config (configs/loki.yaml)", () => {
    it("uses a single TSDB v13 schema with a 24h index period on S3", () => {
      assert.deepStrictEqual(loki.schema_config.configs, [
        { from: "2025-01-01", store: "tsdb", object_store: "s3", schema: "v13", index: { path_prefix: "index/", prefix: "index_", period: "24h" } },
      ]);
      assert.deepStrictEqual(loki.storage_config.aws, {
        bucketnames: c.archive!.bucketName,
        region: c.cluster.region,
        sse: { type: "SSE-KMS", kms_key_id: "${LOKI_S3_SSE_KMS_KEY_ID}" },
      });
      assert.strictEqual(loki.auth_enabled, false, "single tenant: chunks under fake/, the lifecycle's only prefix");
    });

    it("retains 365 days through the compactor, with delete requests under index/ on S3", () => {
      assert.deepStrictEqual(loki.compactor, {
        working_directory: "/var/loki/compactor",
        compaction_interval: "10m",
        retention_enabled: true,
        retention_delete_delay: "2h",
        delete_request_store: "s3",
        delete_request_store_key_prefix: "index/",
      });
      assert.strictEqual(loki.limits_config.retention_period, "8760h");
      assert.strictEqual(loki.limits_config.max_query_lookback, "8760h");
      assert.strictEqual(loki.limits_config.max_query_length, "721h");
      assert.deepStrictEqual(loki.limits_config.retention_stream, []);
    });

    it("replicates every stream the configured number of times over a memberlist ring joined through the peer Service", () => {
      assert.strictEqual(loki.common.replication_factor, c.logging.loki.replicationFactor);
      assert.deepStrictEqual(loki.common.ring, { kvstore: { store: "memberlist" } });
      assert.deepStrictEqual(loki.memberlist.join_members, ["dns+loki-memberlist.logging.svc.cluster.local:7946"]);
      const headless = prod.object("Service", "loki-memberlist", "logging");
      assert.strictEqual(headless.spec.clusterIP, "None");
      assert.strictEqual(headless.spec.publishNotReadyAddresses, true);
      assert.deepStrictEqual(headless.spec.ports, [{ name: "memberlist", port: 7946, targetPort: "memberlist" }]);
      assert.ok(matches(headless.spec.selector, podLabels(prod.object("StatefulSet", "loki", "logging"))));
    });

    it("caches chunks and results in memcached for the hot window, discovered through the caches' headless Services", () => {
      const hotWindow = lokiHours(durationSeconds(c.logging.hotWindow));
      for (const [cfg, service] of [
        [loki.chunk_store_config.chunk_cache_config, "loki-chunks-cache"],
        [loki.query_range.results_cache.cache, "loki-results-cache"],
      ] as const) {
        assert.strictEqual(cfg.memcached.expiration, hotWindow);
        assert.strictEqual(cfg.default_validity, hotWindow);
        assert.strictEqual(cfg.memcached_client.addresses, `dnssrvnoa+_client._tcp.${service}.logging.svc.cluster.local`);
        assert.strictEqual(cfg.memcached_client.max_item_size, 5 * 2 ** 20);
        const svc = prod.object("Service", service, "logging");
        assert.strictEqual(svc.spec.clusterIP, "None");
        assert.ok(svc.spec.ports.some((p: any) => p.name === "client" && p.port === 11211));
      }
      assert.strictEqual(loki.query_range.cache_results, true);
    });

    it("asks ingesters for longer than a chunk can stay unflushed, and keeps a persistent WAL", () => {
      const hours = (d: string) => Number(/^(\d+)h$/.exec(d)![1]);
      assert.ok(hours(loki.querier.query_ingesters_within) > hours(loki.ingester.max_chunk_age));
      assert.deepStrictEqual(loki.ingester.wal, { enabled: true, dir: "/var/loki/wal", flush_on_shutdown: true });
    });

    it("accepts OTLP with structured metadata and applies the per-tenant limits from config", () => {
      assert.strictEqual(loki.limits_config.allow_structured_metadata, true);
      assert.deepStrictEqual(
        [loki.limits_config.ingestion_rate_mb, loki.limits_config.ingestion_burst_size_mb, loki.limits_config.per_stream_rate_limit, loki.limits_config.max_global_streams_per_user],
        [16, 32, "5MB", 10000],
      );
    });

    it("carries per-stream retention hooks into limits_config (unit)", () => {
      const v = stackValues("prod");
      v.logging = { retention: { streams: [{ selector: '{namespace="dev"}', priority: 1, period: "14d" }] } };
      const doc = lokiConfig(validateStackConfig(v), { kind: "s3", bucketName: "b-1", region: "eu-west-1" }) as any;
      assert.deepStrictEqual(doc.limits_config.retention_stream, [{ selector: '{namespace="dev"}', priority: 1, period: "336h" }]);
    });
  });

  describe("memcached caches", () => {
    it("run as memcached's own non-root user, sized from config, with the exporter on 9150", () => {
      const c = validateStackConfig(stackValues("prod"));
      for (const [name, cfg] of [["loki-chunks-cache", c.logging.caches.chunks], ["loki-results-cache", c.logging.caches.results]] as const) {
        const sts = prod.object("StatefulSet", name, "logging");
        assert.strictEqual(sts.spec.replicas, cfg.replicas);
        const pod = sts.spec.template.spec;
        assert.deepStrictEqual([pod.securityContext.runAsUser, pod.securityContext.runAsGroup], [11211, 11211]);
        const [memcached, exporter] = pod.containers;
        assert.deepStrictEqual(memcached.args, ["-m", String(cfg.memoryMiB), "-I", "5m", "-c", "4096"]);
        assert.strictEqual(memcached.resources.limits.memory, `${memcachedContainerMemoryMiB(cfg.memoryMiB)}Mi`);
        assert.ok(memcachedContainerMemoryMiB(cfg.memoryMiB) > cfg.memoryMiB);
        assert.deepStrictEqual(exporter.ports, [{ name: "metrics", containerPort: 9150, protocol: "TCP" }]);
        for (const ctr of pod.containers) assert.strictEqual(ctr.securityContext.readOnlyRootFilesystem, true);
      }
    });
  });

  describe("log agent", () => {
    it("keeps offsets and the export queue on the node, owned by the agent's user through a root init container with CHOWN only", () => {
      const pod = prod.object("DaemonSet", "log-agent", "log-agents").spec.template.spec;
      const [owner] = pod.initContainers;
      assert.deepStrictEqual(owner.command, ["chown", "10001:10001", "/var/lib/otelcol"]);
      assert.deepStrictEqual(owner.volumeMounts, [{ name: "state", mountPath: "/var/lib/otelcol" }]);
      assert.deepStrictEqual(owner.securityContext, {
        runAsUser: 0, runAsNonRoot: false, allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"], add: ["CHOWN"] }, seccompProfile: { type: "RuntimeDefault" },
      });
      const agent = pod.containers[0];
      assert.deepStrictEqual(agent.volumeMounts.find((m: any) => m.name === "state"), { name: "state", mountPath: "/var/lib/otelcol" });
      assert.strictEqual(agent.securityContext.runAsNonRoot, true);
      assert.strictEqual(parse(prod.configs()["otel-log-agent.yaml"]).extensions.file_storage.directory, "/var/lib/otelcol");
    });

    it("requests and limits ephemeral storage for its logs; its checkpoints are on a hostPath, which the kubelet does not count", () => {
      const pod = prod.object("DaemonSet", "log-agent", "log-agents").spec.template.spec;
      assert.deepStrictEqual(pod.volumes.filter((v: any) => v.emptyDir), []);
      for (const ctr of [...pod.initContainers, ...pod.containers]) {
        assert.strictEqual(ctr.resources.requests["ephemeral-storage"], containerLogStorage, ctr.name);
        assert.strictEqual(ctr.resources.limits["ephemeral-storage"], containerLogStorage, ctr.name);
      }
    });

    it("is a DaemonSet alone in the log-agents namespace, reading only /var/log/pods, read-only", () => {
      const ds = prod.object("DaemonSet", "log-agent", "log-agents");
      const pod = ds.spec.template.spec;
      const hostPaths = pod.volumes.filter((v: any) => v.hostPath);
      assert.deepStrictEqual(hostPaths, [
        { name: "pod-logs", hostPath: { path: "/var/log/pods", type: "Directory" } },
        { name: "state", hostPath: { path: "/var/lib/sigma-observability/log-agent", type: "DirectoryOrCreate" } },
      ]);
      const mounts = pod.containers.flatMap((ctr: any) => ctr.volumeMounts.filter((m: any) => m.name === "pod-logs"));
      assert.deepStrictEqual(mounts, [{ name: "pod-logs", mountPath: "/var/log/pods", readOnly: true }]);
      const inNamespace = prod.podTemplates().filter((t) => t.owner.metadata.namespace === "log-agents");
      assert.deepStrictEqual(inNamespace.map((t) => `${t.owner.kind}/${t.owner.metadata.name}`), ["DaemonSet/log-agent"]);
    });

    it("stays non-root with every capability dropped, reading root-group log files through supplemental group 0 only", () => {
      const pod = prod.object("DaemonSet", "log-agent", "log-agents").spec.template.spec;
      assert.strictEqual(pod.securityContext.runAsNonRoot, true);
      assert.notStrictEqual(pod.securityContext.runAsUser, 0);
      assert.notStrictEqual(pod.securityContext.runAsGroup, 0);
      assert.deepStrictEqual(pod.securityContext.supplementalGroups, [0]);
      for (const ctr of pod.containers) {
        assert.deepStrictEqual(ctr.securityContext.capabilities, { drop: ["ALL"] });
        assert.strictEqual(ctr.securityContext.privileged, false);
        assert.strictEqual(ctr.securityContext.allowPrivilegeEscalation, false);
      }
      assert.ok(!pod.hostNetwork && !pod.hostPID && !pod.hostIPC);
      assert.strictEqual(pod.automountServiceAccountToken, true, "k8sattributes reads the API");
    });

    it("may only read pods, namespaces and replicasets cluster-wide", () => {
      const role = prod.object("ClusterRole", "log-agents-log-agent");
      assert.deepStrictEqual(role.rules, [
        { apiGroups: [""], resources: ["pods", "namespaces"], verbs: ["get", "list", "watch"] },
        { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["get", "list", "watch"] },
      ]);
      const binding = prod.object("ClusterRoleBinding", "log-agents-log-agent");
      assert.deepStrictEqual(binding.subjects, [{ kind: "ServiceAccount", name: "log-agent", namespace: "log-agents" }]);
    });

    it("runs the same collector release as the tracing tier", () => {
      const agent = prod.object("DaemonSet", "log-agent", "log-agents").spec.template.spec.containers[0];
      assert.strictEqual(agent.image, validateStackConfig(stackValues("prod")).images.collector);
    });

    it("tails container logs with the container parser and k8sattributes, and exports to Loki's OTLP endpoint", () => {
      const cfg = parse(prod.configs()["otel-log-agent.yaml"]);
      assert.deepStrictEqual(cfg.receivers.file_log.include, ["/var/log/pods/*/*/*.log"]);
      // The container parser, then the trace-context lift (proven on the real collector by log-pipeline.spec.ts).
      assert.deepStrictEqual(cfg.receivers.file_log.operators.slice(0, 1), [{ type: "container", id: "container-parser" }]);
      assert.deepStrictEqual(
        cfg.receivers.file_log.operators.slice(1).map((o: any) => [o.type, o.trace?.trace_id?.parse_from ?? o.field]),
        [
          ["json_parser", "attributes.trace_context_scratch.trace_id"],
          ["key_value_parser", "attributes.trace_context_scratch.trace_id"],
          ["remove", "attributes.trace_context_scratch"],
        ],
      );
      assert.strictEqual(cfg.receivers.file_log.storage, "file_storage");
      // A replaced pod has no checkpoints (emptyDir): starting at the beginning would replay the node's logs into Loki.
      assert.strictEqual(cfg.receivers.file_log.start_at, "end");
      assert.strictEqual(cfg.exporters["otlp_http/loki"].endpoint, "http://loki.logging.svc.cluster.local:3100/otlp");
      assert.deepStrictEqual(cfg.service.pipelines.logs, {
        receivers: ["file_log"],
        processors: ["memory_limiter", "k8s_attributes", "resource", "batch"],
        exporters: ["otlp_http/loki"],
      });
      const loki = prod.object("Service", "loki", "logging");
      assert.ok(loki.spec.ports.some((p: any) => p.port === 3100));
    });
  });

  describe("NetworkPolicies", () => {
    const policy = (r: Rendered, name: string, ns: string) => r.object("NetworkPolicy", name, ns);
    const peersOn = (rules: any[], port: number) => rules.filter((r) => r.ports.some((p: any) => p.port === port)).flatMap((r) => r.from ?? r.to);

    it("select every pod of the tier with exactly one policy, named after its workload", () => {
      const pods = prod.podTemplates().filter((t) => ["logging", "log-agents"].includes(t.owner.metadata.namespace));
      assert.ok(pods.length > 0);
      for (const { owner } of pods) {
        const ns = owner.metadata.namespace;
        const selecting = prod
          .objects("NetworkPolicy")
          .filter((p) => p.metadata.namespace === ns && p.spec.podSelector.matchLabels && matches(p.spec.podSelector.matchLabels, podLabels(owner)));
        assert.deepStrictEqual(selecting.map((p) => p.metadata.name), [owner.metadata.name], `${owner.kind}/${owner.metadata.name}`);
      }
    });

    it("open S3 egress from Loki exactly when the stack has an archive (unit)", () => {
      const egress443 = (values: Record<string, any>) =>
        loggingPolicies(validateStackConfig(values))
          .find((p) => p.name === "loki")!
          .egress.filter((f) => f.ports.some((port) => port.port === 443));
      const [withArchive, without] = ["prod", "local"].map(stackValues);
      assert.ok(withArchive.archive && !without.archive, "the committed prod stack has an archive, the local one none");
      assert.strictEqual(egress443(withArchive).length, 1);
      assert.deepStrictEqual(egress443(without), []);
    });

    it("let the agent, Grafana and Loki itself reach Loki, and Prometheus scrape it", () => {
      const p = policy(prod, "loki", "logging").spec;
      const from3100 = peersOn(p.ingress, 3100).map((peer: any) => `${peer.namespaceSelector.matchLabels["kubernetes.io/metadata.name"]}/${peer.podSelector.matchLabels["app.kubernetes.io/instance"]}`);
      assert.deepStrictEqual(from3100.sort(), ["log-agents/log-agent", "logging/loki", "monitoring/grafana", "monitoring/prometheus"]);
      assert.deepStrictEqual(
        peersOn(p.ingress, 7946).map((peer: any) => peer.podSelector.matchLabels["app.kubernetes.io/instance"]),
        ["loki"],
      );
    });

    it("let Loki reach its peers, both caches and S3 on 443, and nothing else", () => {
      const egress = policy(prod, "loki", "logging").spec.egress;
      const ports = egress.map((r: any) => r.ports.map((p: any) => p.port).join(",")).sort();
      assert.deepStrictEqual(ports, ["11211", "3100,9095,7946", "443"]);
      const s3 = egress.find((r: any) => r.ports[0].port === 443);
      assert.deepStrictEqual(s3.to, [{ ipBlock: { cidr: "0.0.0.0/0" } }]);
      const caches = peersOn(egress, 11211).map((peer: any) => peer.podSelector.matchLabels["app.kubernetes.io/instance"]).sort();
      assert.deepStrictEqual(caches, ["loki-chunks-cache", "loki-results-cache"]);
    });

    it("let the agent reach only Loki and the API server, and accept only Prometheus", () => {
      const p = policy(prod, "log-agent", "log-agents").spec;
      assert.deepStrictEqual(p.egress.map((r: any) => r.ports.map((x: any) => x.port)), [[3100], [443]]);
      assert.deepStrictEqual(p.egress[1].to, [{ ipBlock: { cidr: "10.10.0.0/16" } }]);
      assert.deepStrictEqual(p.ingress.map((r: any) => [r.ports[0].port, r.from[0].podSelector.matchLabels["app.kubernetes.io/instance"]]), [[8888, "prometheus"]]);
    });

    it("let only Loki use the caches", () => {
      const p = policy(prod, "loki-chunks-cache", "logging").spec;
      assert.deepStrictEqual(peersOn(p.ingress, 11211).map((peer: any) => peer.podSelector.matchLabels["app.kubernetes.io/instance"]), ["loki"]);
      // No egress rule at all, and Egress listed in policyTypes: every outbound connection is denied.
      assert.deepStrictEqual([p.egress, p.policyTypes], [undefined, ["Ingress", "Egress"]]);
    });
  });

  describe("without an archive (filesystem store)", () => {
    it("stores chunks, index and delete requests on the single replica's volume and registers no AWS resource", () => {
      const doc = parse(local.configs()["loki.yaml"]);
      assert.strictEqual(doc.schema_config.configs[0].object_store, "filesystem");
      assert.deepStrictEqual(doc.storage_config.filesystem, { directory: "/var/loki/chunks" });
      assert.strictEqual(doc.storage_config.aws, undefined);
      assert.strictEqual(doc.compactor.delete_request_store, "filesystem");
      assert.strictEqual(local.object("StatefulSet", "loki", "logging").spec.replicas, 1);
      assert.strictEqual(local.object("ServiceAccount", "loki", "logging").metadata.annotations, undefined);
      const archive = local.resources.filter((r) => r.urn.includes("S3Archive") || r.type.startsWith("aws:s3/") || r.type.startsWith("aws:kms/"));
      assert.deepStrictEqual(archive, []);
    });

    it("opens no egress to AWS for Loki", () => {
      const egress = local.object("NetworkPolicy", "loki", "logging").spec.egress;
      assert.ok(egress.every((r: any) => r.ports.every((p: any) => p.port !== 443)));
    });
  });
});
