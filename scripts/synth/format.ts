import { formatGiB } from "../../components/k8s/quantity";
import { StackSummary, Totals } from "./summary";

const cores = (n: number) => `${n.toFixed(2)} CPU`;

function totals(t: Totals): string {
  return `requests ${cores(t.cpuRequests)} / ${formatGiB(t.memoryRequestsBytes)}, limits ${cores(t.cpuLimits)} / ${formatGiB(t.memoryLimitsBytes)}`;
}

/** The short human summary the render prints per stack. */
export function formatSummary(s: StackSummary, run: { dir: string; ms: number; placeholders: string[] }): string {
  const lines = [`stack ${s.stack} (${s.environment}): ${s.resourceCount} resources -> ${run.dir} in ${(run.ms / 1000).toFixed(1)}s`];
  for (const [component, types] of Object.entries(s.byComponent)) {
    const total = Object.values(types).reduce((a, b) => a + b, 0);
    const kinds = Object.entries(types)
      .sort(([, a], [, b]) => b - a)
      .map(([type, n]) => `${n} ${type.split(":").pop()}`)
      .join(", ");
    lines.push(`  ${component.padEnd(12)} ${String(total).padStart(3)}  ${kinds}`);
  }
  lines.push(`  workloads    ${totals(s.workloads)}`);
  lines.push(`  per node     ${totals(s.perNode)} (DaemonSets)`);
  const storage = Object.entries(s.storageBytes).map(([cls, bytes]) => `${formatGiB(bytes)} on ${cls}`);
  const aws = Object.entries(s.awsStorageGiB).map(([svc, gib]) => `${gib}Gi ${svc}`);
  lines.push(`  storage      ${[...storage, ...aws].join(", ") || "none"}`);
  if (s.logStorageCost) {
    const c = s.logStorageCost;
    lines.push(
      `  log storage  S3 steady state $${c.tiered.total.toFixed(2)}/month tiered vs $${c.allStandard.total.toFixed(2)} all-Standard ` +
        `(${c.savingPercent}% saved; ${c.prices.region} list prices ${c.prices.asOf})`,
    );
  }
  if (run.placeholders.length > 0) {
    lines.push(`  secrets      offline placeholders for ${run.placeholders.join(", ")} (set them with pulumi config set --secret)`);
  }
  return lines.join("\n");
}
