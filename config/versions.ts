/**
 * The versions table: every image the stack deploys, and for each one we test against a real binary, the Go
 * module and version the toolchain (`npm run toolchain`) builds. Config defaults, the toolchain and the README read
 * this table, so bumping an image bumps what the tests run. A row without `peer` is deployed but cannot be built
 * here; its `why` says so.
 */

/** The Go module version that carries an image's release (they differ for Prometheus and Jaeger). */
export interface Peer {
  readonly module: string;
  readonly version: string;
}

export interface VersionRow {
  readonly repository: string;
  readonly tag: string;
  readonly peer?: Peer;
  /** Why a deployed image has no real peer in the toolchain. */
  readonly why?: string;
}

export const versions = {
  /** Module v0.3XX.Y is release 3.XX.Y. */
  prometheus: {
    repository: "quay.io/prometheus/prometheus",
    tag: "v3.5.0",
    peer: { module: "github.com/prometheus/prometheus", version: "v0.305.0" },
  },
  alertmanager: {
    repository: "quay.io/prometheus/alertmanager",
    tag: "v0.28.1",
    peer: { module: "github.com/prometheus/alertmanager", version: "v0.28.1" },
  },
  grafana: { repository: "docker.io/grafana/grafana", tag: "12.3.0", why: "AGPL: its module is not to be used here" },
  /**
   * The contrib distribution; the toolchain builds the same release with exactly our components (OCB). 0.160.0 is
   * the newest release whose components are all served (0.161 moved k8sattributes to a v1 module that is not) and the
   * oldest whose loadbalancing exporter the checksum database knows (0.135-0.148 are refused).
   */
  collector: {
    repository: "otel/opentelemetry-collector-contrib",
    tag: "0.160.0",
    peer: { module: "go.opentelemetry.io/collector/cmd/builder", version: "v0.160.0" },
  },
  /** Module tags v1.x carry the v2 binary: v1.76.0 is Jaeger 2.13.0, the newest release served (2.20.0 is not). */
  jaeger: {
    repository: "jaegertracing/jaeger",
    tag: "2.13.0",
    peer: { module: "github.com/jaegertracing/jaeger", version: "v1.76.0" },
  },
  /** The cleaner is released with the v1 number of the same Jaeger release (v1.76.0 is 2.13.0). */
  indexCleaner: { repository: "jaegertracing/jaeger-es-index-cleaner", tag: "1.76.0", why: "talks only to OpenSearch, which is not available here" },
  sigv4Proxy: { repository: "public.ecr.aws/aws-observability/aws-sigv4-proxy", tag: "1.7", why: "signs requests to AWS, which is not reachable here" },
  loki: { repository: "grafana/loki", tag: "3.6.7", why: "AGPL: its module is not to be used here; loki.yaml is checked structurally" },
  memcached: { repository: "memcached", tag: "1.6.39-alpine", why: "a C program from an image, not a Go module" },
  memcachedExporter: { repository: "prom/memcached-exporter", tag: "v0.15.4", why: "not exercised by any test" },
  /** Only its `chown`: hands the log agent's state directory on the node to the agent's user. */
  busybox: { repository: "docker.io/library/busybox", tag: "1.37.0", why: "a C program from an image, not a Go module" },
} as const satisfies Record<string, VersionRow>;

export type Component = keyof typeof versions;

/** The pinned image reference of a component, `repository:tag`. */
export function image(component: Component): string {
  const row: VersionRow = versions[component];
  return `${row.repository}:${row.tag}`;
}

/** The release an image tag names, without a leading `v` (the form binaries print in `--version`). */
export function release(component: Component): string {
  return versions[component].tag.replace(/^v/, "");
}

/**
 * Peers the engine end-to-end suite runs that the stack does not deploy: one Kubernetes release with the etcd it
 * supports, kwok for nodes, and the Pulumi engine of the SDK we pin (its version is read from package.json).
 */
export const enginePeers = {
  kubernetes: { module: "k8s.io/kubernetes", version: "v1.36.3" },
  etcd: { module: "go.etcd.io/etcd/server/v3", version: "v3.6.16" },
  kwok: { module: "sigs.k8s.io/kwok", version: "v0.8.0" },
  /**
   * The only provider/v4 version the module proxy serves: code of 2026-01-14 (about release 4.25), older than the npm
   * SDK we pin (@pulumi/kubernetes 4.34.2).
   */
  kubernetesProvider: { module: "github.com/pulumi/pulumi-kubernetes/provider/v4", version: "v4.0.0-20260115033456-f47bc2d6f199" },
} as const satisfies Record<string, Peer>;

/**
 * Checkers the unit suite runs over what the repository ships, built by the toolchain like the peers; nothing
 * deploys them. actionlint lints the GitHub Actions workflows users copy (`.github/workflows/`); kube-score and
 * checkov (below) score every stack's rendered manifests.
 */
export const checkers = {
  actionlint: { module: "github.com/rhysd/actionlint", version: "v1.7.12" },
  kubeScore: { module: "github.com/zegl/kube-score", version: "v1.20.0" },
} as const satisfies Record<string, Peer>;

/** Checkers installed from PyPI (into a venv of their own) rather than built from Go modules. */
export const pythonCheckers = {
  checkov: { package: "checkov", version: "3.3.30" },
} as const;
