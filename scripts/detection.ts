/**
 * `npm run detection`: runs the alert-quality scenarios of every SLO through the toolchain's promtool (the deployed
 * Prometheus release) at the prod stack's scrape and evaluation intervals, writes the measured report to
 * `rules/detection-report.json` and prints its summary. The render turns that file into `out/<stack>/detection.md`; the
 * promtool spec measures again and fails while the committed file differs. Exits non-zero when a scenario misses what
 * the alert policy promises (the report is written anyway, so it can be read).
 */
import * as fs from "fs";
import { availableParallelism } from "os";
import { validateStackConfig } from "../config";
import { durationSeconds } from "../config/common";
import { slos } from "../rules";
import type { DetectionReport } from "../rules/detection";
import { detectionSummary } from "../rules/detection-table";
import type { Timing } from "../rules/scenarios";
import { promtoolTestRules } from "../tests/support/prom-tools";
import { measureDetection, type SloRuns } from "../tests/support/scenarios/measure";
import { defaultProjectDir } from "./synth";
import { detectionReportPath } from "./synth/detection";
import { readStackFile } from "./synth/stack-files";

/** The stack whose intervals the committed report is measured at. */
export const detectionStack = "prod";

/** Scrape and evaluation intervals of a committed stack file. */
export function stackTiming(stack = detectionStack, projectDir = defaultProjectDir): Timing {
  const { monitoring } = validateStackConfig(readStackFile(projectDir, stack).values, `Pulumi.${stack}.yaml`);
  return { scrapeInterval: durationSeconds(monitoring.scrapeInterval), evaluationInterval: durationSeconds(monitoring.evaluationInterval) };
}

/** Measures every SLO's scenarios with the toolchain's promtool, at most one process per core (two at most). */
export function measure(timing = stackTiming()): Promise<{ report: DetectionReport; runs: SloRuns[] }> {
  const run = (document: string, rules: Record<string, string>) => promtoolTestRules(document, rules, { timeoutMs: 300_000 });
  return measureDetection(slos(), timing, run, Math.min(2, availableParallelism()));
}

/** The report as committed: pretty JSON with a final newline. */
export function serialiseReport(report: DetectionReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

async function main(): Promise<number> {
  const started = Date.now();
  const { report } = await measure();
  fs.writeFileSync(detectionReportPath, serialiseReport(report));
  console.log(detectionSummary(report));
  console.log(`\nwrote ${detectionReportPath} in ${Math.round((Date.now() - started) / 1000)} s (fingerprint ${report.fingerprint})`);
  const unmet = report.slos.flatMap((slo) => slo.scenarios.filter((s) => s.unmet.length > 0).map((s) => `${slo.id} ${s.name}: ${s.unmet.join("; ")}`));
  for (const line of unmet) console.error(`detection: ${line}`);
  return unmet.length > 0 ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
