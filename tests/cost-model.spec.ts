import * as assert from "assert";
import { validateStackConfig } from "../config";
import { estimateMonthlyCost, s3Prices } from "../components/s3-archive/cost-model";
import { archiveCostEstimate } from "../components/s3-archive";
import { stackValues } from "./support/harness";

const gbPerGiB = 2 ** 30 / 1e9;
const near = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= 0.01, `${what}: got ${actual}, expected ${expected.toFixed(4)}`);

describe("S3 storage cost model", () => {
  it("states the date, region and source of its price table", () => {
    assert.match(s3Prices.asOf, /^\d{4}-\d{2}$/);
    assert.strictEqual(s3Prices.source, "https://aws.amazon.com/s3/pricing/");
    assert.strictEqual(s3Prices.region, "eu-west-1");
  });

  it("prices a year of S3 Standard as one day's data per age-day at the Standard rate", () => {
    const e = estimateMonthlyCost({ storedGiBPerDay: 10, retentionDays: 365, transitions: [], averageObjectMiB: 1 });
    near(e.allStandard.storage, 10 * gbPerGiB * 365 * 0.023, "standard storage");
    // 10 GiB/day of 1 MiB objects = 10240 PUTs/day, over an average month.
    near(e.allStandard.requests, ((10240 * 365) / 12) * 0.000005, "PUTs");
    assert.strictEqual(e.allStandard.monitoring, 0);
    assert.strictEqual(e.storedGiB, 3650);
    // Without transitions the designed tiering is S3 Standard.
    assert.strictEqual(e.tiered.total, e.allStandard.total);
    assert.strictEqual(e.savingPercent, 0);
  });

  it("prices Intelligent-Tiering from day 0: 30 days frequent, 60 infrequent, the rest archive-instant, plus monitoring", () => {
    const e = estimateMonthlyCost({
      storedGiBPerDay: 10,
      retentionDays: 365,
      transitions: [{ days: 0, storageClass: "INTELLIGENT_TIERING" }],
      averageObjectMiB: 1,
    });
    near(e.tiered.storage, 10 * gbPerGiB * (30 * 0.023 + 60 * 0.0125 + 275 * 0.004), "tiered storage");
    // 10240 objects/day, every one of the 365 daily cohorts monitored.
    near(e.tiered.monitoring, 10240 * 365 * 0.0000025, "monitoring");
    near(e.tiered.requests, ((10240 * 365) / 12) * (0.000005 + 0.00001), "PUTs + transitions");
    assert.ok(e.tiered.total < e.allStandard.total * 0.5, `expected more than 50% saving, got ${e.savingPercent}%`);
    assert.strictEqual(e.savingPercent, Math.round((1 - e.tiered.total / e.allStandard.total) * 1000) / 10);
  });

  it("prices a GLACIER_IR transition at 30 days", () => {
    const e = estimateMonthlyCost({ storedGiBPerDay: 50, retentionDays: 365, transitions: [{ days: 30, storageClass: "GLACIER_IR" }], averageObjectMiB: 2 });
    near(e.tiered.storage, 50 * gbPerGiB * (30 * 0.023 + 335 * 0.004), "tiered storage");
    assert.strictEqual(e.tiered.monitoring, 0);
  });

  it("gives no saving when chunks are too small to be tiered (< 128 KiB)", () => {
    const e = estimateMonthlyCost({ storedGiBPerDay: 10, retentionDays: 365, transitions: [{ days: 0, storageClass: "INTELLIGENT_TIERING" }], averageObjectMiB: 0.05 });
    assert.strictEqual(e.tiered.storage, e.allStandard.storage);
    assert.strictEqual(e.tiered.monitoring, 0);
  });

  it("scales linearly with volume", () => {
    const at = (g: number) => estimateMonthlyCost({ storedGiBPerDay: g, retentionDays: 365, transitions: [{ days: 0, storageClass: "INTELLIGENT_TIERING" }], averageObjectMiB: 1 });
    const ratio = at(40).tiered.total / at(10).tiered.total;
    assert.ok(Math.abs(ratio - 4) < 0.001, `4x the volume costs ${ratio}x`);
  });

  it("refuses inputs that are not positive", () => {
    assert.throws(
      () => estimateMonthlyCost({ storedGiBPerDay: 0, retentionDays: 365, transitions: [], averageObjectMiB: 1 }),
      /cost model inputs must be positive: got \{"storedGiBPerDay":0,"retentionDays":365,"averageObjectMiB":1\}/,
    );
  });

  it("estimates the prod archive from its config (volume, object size, transitions, 365-day retention)", () => {
    const v = stackValues("prod");
    v.archive ??= { bucketName: "sigma-prod-loki-chunks-eu-west-1", accessLogs: { bucketName: "sigma-prod-s3-access-logs-eu-west-1" } };
    const c = validateStackConfig(v);
    const e = archiveCostEstimate(c, c.archive!);
    const direct = estimateMonthlyCost({
      storedGiBPerDay: c.archive!.costEstimate.storedGiBPerDay,
      retentionDays: 365,
      transitions: c.archive!.transitions as { days: number; storageClass: "INTELLIGENT_TIERING" }[],
      averageObjectMiB: c.archive!.costEstimate.averageObjectMiB,
    });
    assert.deepStrictEqual(e, direct);
    assert.ok(e.savingPercent > 40, `saving ${e.savingPercent}%`);
  });
});
