/**
 * `detection.md` of a rendered stack: the committed detection report (`rules/detection-report.json`, measured by
 * `npm run detection` with the real promtool) as Markdown, flagged out of date when it was measured on other rules,
 * scenarios or intervals than the stack renders. The render never runs promtool itself: it stays an offline synth
 * that needs no toolchain and takes seconds, and the promtool spec fails while the committed report is not current.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { durationSeconds } from "../../config/common";
import { slos } from "../../rules";
import { detectionFingerprint, type DetectionReport } from "../../rules/detection";
import { detectionMarkdown } from "../../rules/detection-table";
import type { Timing } from "../../rules/scenarios";
import { RecordedResource } from "./types";
import { generatedDocuments } from "./write";

/** Where the measured report is committed. */
export const detectionReportPath = path.resolve(__dirname, "..", "..", "rules", "detection-report.json");

/** The committed detection report. */
export function committedDetectionReport(file = detectionReportPath): DetectionReport {
  return JSON.parse(fs.readFileSync(file, "utf8")) as DetectionReport;
}

/** Scrape and evaluation intervals of a rendered stack, from the prometheus.yml it deploys. */
export function renderedTiming(resources: RecordedResource[]): Timing {
  const text = generatedDocuments(resources)["prometheus.yml"];
  if (text === undefined) throw new Error("the render holds no configs/prometheus.yml");
  const global = (YAML.parse(text) as { global: { scrape_interval: string; evaluation_interval: string } }).global;
  return { scrapeInterval: durationSeconds(global.scrape_interval), evaluationInterval: durationSeconds(global.evaluation_interval) };
}

/** `out/<stack>/detection.md` for a rendered stack. */
export function detectionDocument(stack: string, resources: RecordedResource[], report = committedDetectionReport()): string {
  const timing = renderedTiming(resources);
  return detectionMarkdown(report, { stack, timing, fingerprint: detectionFingerprint(slos(), timing) });
}
