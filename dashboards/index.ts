/**
 * The provisioned dashboards.
 *
 * Why our own model (model.ts) and not the Grafana Foundation SDK (`@grafana/grafana-foundation-sdk`): the SDK's
 * builders are generated from Grafana's schemas per Grafana release, and the registry carries none for the Grafana we
 * deploy (12.3.0, config/versions.ts): its published versions are the 0.0.x previews and prerelease builds for
 * Grafana 10.1-11.6 (`11.6.0-cogv0.0.x.<timestamp>` the newest), so adopting it means pinning a prerelease generated
 * for an older schema. What the SDK adds - typed builders - our model already gives for the subset we use, and it
 * keeps what the SDK does not: rows of relative widths laid out by code (no hand-written gridPos), datasources bound
 * through the environment variable, and plain typed JSON the tests walk (every query parsed, every metric resolved).
 * The SDK runs on Node 20 (its only dependency is tslib); revisit when it publishes builders for Grafana 12.
 */
import { serializeDocument } from "../components/k8s/documents";
import type { StackConfig } from "../config";
import { serviceKeys, slos } from "../rules";
import { dashboardInput, type DashboardInput } from "./input";
import type { Dashboard } from "./model";
import { loggingPipeline } from "./logging-pipeline";
import { serviceSloDashboard } from "./service-slo";
import { sloOverview, sloOverviewUid } from "./slo-overview";
import { stackHealth } from "./stack-health";
import { stackResources } from "./stack-resources";
import { tracingPipeline } from "./tracing-pipeline";

export type { Dashboard } from "./model";
export { dashboardInput, type DashboardInput } from "./input";

/** Every dashboard, in the order Grafana lists them: the overview, one per service, then the stack's own health. */
export function allDashboards(input: DashboardInput): Dashboard[] {
  const all = slos();
  return [
    sloOverview(all, input),
    ...serviceKeys.map((service) => serviceSloDashboard(service, all, input, sloOverviewUid)),
    stackHealth(input),
    tracingPipeline(input),
    loggingPipeline(input),
    stackResources(input),
  ];
}

/** The API server refuses a ConfigMap whose data exceeds 1 MiB; each dashboard is one ConfigMap's only file. */
export const configMapDataLimit = 2 ** 20;

/**
 * Every provisioned dashboard by file name (`<uid>.json`). MonitoringCore puts each in its own ConfigMap and
 * Grafana's file provider loads them; a dashboard too large for its ConfigMap fails here, by name.
 */
export function buildDashboards(
  c: StackConfig,
  datasourceUids: DashboardInput["datasourceUids"],
  sizeLimit = configMapDataLimit,
): Record<string, Dashboard> {
  const files: Record<string, Dashboard> = {};
  for (const d of allDashboards(dashboardInput(c, datasourceUids))) {
    const file = `${d.uid}.json`;
    if (file in files) throw new Error(`two dashboards have uid "${d.uid}"; every dashboard needs its own`);
    const bytes = Buffer.byteLength(serializeDocument(file, d));
    if (bytes >= sizeLimit) throw new Error(`dashboard ${file} is ${bytes} bytes serialised; a ConfigMap holds at most ${sizeLimit}: split it`);
    files[file] = d;
  }
  return files;
}
