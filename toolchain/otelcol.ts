/**
 * The OpenTelemetry Collector Builder manifest for our collector: exactly the components the rendered agent, gateway
 * and log-agent configs use, at the collector release the versions table pins. Core components without a 1.x module
 * ship at the release's 0.x version; the confmap providers are stable modules at the release's 1.x version.
 */

const core = "go.opentelemetry.io/collector";
const contrib = "github.com/open-telemetry/opentelemetry-collector-contrib";

/** The stable (1.x) core modules released with a 0.x collector release: 0.160.0 ships 1.66.0. */
export function stableCoreVersion(release: string): string {
  const [major, minor] = release.split(".").map(Number);
  if (major !== 0 || !(minor >= 120)) throw new Error(`collector release "${release}": allowed: a 0.x release from 0.120.0 on`);
  return `v1.${minor - 94}.0`;
}

export interface OtelcolModules {
  receivers: string[];
  processors: string[];
  exporters: string[];
  connectors: string[];
  extensions: string[];
  providers: string[];
}

export function otelcolModules(release: string): OtelcolModules {
  const v = `v${release}`;
  const stable = stableCoreVersion(release);
  return {
    receivers: [`${core}/receiver/otlpreceiver ${v}`, `${contrib}/receiver/filelogreceiver ${v}`],
    processors: [
      `${core}/processor/memorylimiterprocessor ${v}`,
      `${core}/processor/batchprocessor ${v}`,
      `${contrib}/processor/k8sattributesprocessor ${v}`,
      `${contrib}/processor/tailsamplingprocessor ${v}`,
      `${contrib}/processor/resourceprocessor ${v}`,
    ],
    exporters: [
      `${core}/exporter/otlpexporter ${v}`,
      `${core}/exporter/otlphttpexporter ${v}`,
      `${contrib}/exporter/loadbalancingexporter ${v}`,
    ],
    connectors: [`${contrib}/connector/spanmetricsconnector ${v}`],
    extensions: [`${contrib}/extension/healthcheckextension ${v}`, `${contrib}/extension/storage/filestorage ${v}`],
    // env is the resolver's default scheme and must be present; file reads --config; yaml serves --set.
    providers: ["envprovider", "fileprovider", "yamlprovider"].map((p) => `${core}/confmap/provider/${p} ${stable}`),
  };
}

/** The builder's manifest (YAML is a superset of JSON, so the document is written as JSON). */
export function otelcolManifest(release: string, outputPath: string, modules: OtelcolModules): string {
  const list = (gomods: string[]) => gomods.map((gomod) => ({ gomod }));
  return JSON.stringify(
    {
      dist: {
        module: "sigma-observability.local/toolchain/otelcol",
        name: "otelcol",
        description: "The collector components the sigma observability stack deploys",
        version: release,
        output_path: outputPath,
      },
      receivers: list(modules.receivers),
      processors: list(modules.processors),
      exporters: list(modules.exporters),
      connectors: list(modules.connectors),
      extensions: list(modules.extensions),
      providers: list(modules.providers),
    },
    null,
    2,
  );
}
