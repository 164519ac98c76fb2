/**
 * Preloaded into each benchmarked process: on exit it writes the process's wall time since start and its peak
 * resident memory to the file named by BENCH_PROBE_OUT, so the benchmark measures the child itself.
 */
import * as fs from "fs";

const out = process.env.BENCH_PROBE_OUT;
if (out) {
  process.on("exit", () => {
    const wallMs = performance.now();
    fs.writeFileSync(out, JSON.stringify({ wallMs, maxRssKiB: process.resourceUsage().maxRSS }));
  });
}
