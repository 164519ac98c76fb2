import { type ReadableStorageClass } from "../../config/logging";

/**
 * Monthly S3 cost of Loki's chunks: the designed tiering against keeping everything in S3 Standard for the whole
 * retention. A steady-state model: after one retention period the bucket holds one day's chunks of every age from 0
 * to retention, so the monthly bill is the sum, over ages, of one day's data priced in the class it has at that age.
 */

/**
 * AWS list prices used by the model, in USD. One table, so a price change is one edit.
 *
 * Region eu-west-1 (Ireland; the same figures as us-east-1 for these classes), first 50 TB/month storage tier.
 * Source: https://aws.amazon.com/s3/pricing/ (Storage, Requests & data retrievals, Management & insights tabs), as
 * published in June 2025. Re-check before relying on the absolute numbers.
 */
export const s3Prices = {
  region: "eu-west-1",
  asOf: "2025-06",
  source: "https://aws.amazon.com/s3/pricing/",
  /** Storage, per GB-month. */
  storage: {
    STANDARD: 0.023,
    STANDARD_IA: 0.0125,
    GLACIER_IR: 0.004,
    INTELLIGENT_TIERING_FREQUENT: 0.023,
    INTELLIGENT_TIERING_INFREQUENT: 0.0125,
    INTELLIGENT_TIERING_ARCHIVE_INSTANT: 0.004,
  },
  /** Intelligent-Tiering monitoring and automation, per 1,000 objects of 128 KB or more, per month. */
  intelligentTieringMonitoringPer1000: 0.0025,
  /** Lifecycle transition requests into a class, per 1,000 requests. */
  transitionPer1000: { STANDARD_IA: 0.01, INTELLIGENT_TIERING: 0.01, GLACIER_IR: 0.02 } satisfies Record<ReadableStorageClass, number>,
  /** PUT requests (S3 Standard), per 1,000. */
  putPer1000: 0.005,
} as const;

export type S3Prices = typeof s3Prices;

/** Intelligent-Tiering moves an object down after this many days without access (the two automatic tiers). */
const intelligentTieringDays = { infrequent: 30, archiveInstant: 90 } as const;

/** Objects smaller than this are neither monitored by Intelligent-Tiering nor transitioned by lifecycle rules. */
const minTieredObjectMiB = 128 / 1024;

const daysPerMonth = 365 / 12;

export interface CostInputs {
  /** Chunks written per day, compressed, as stored in S3. */
  storedGiBPerDay: number;
  /** Days a chunk stays in the bucket (Loki's retention). */
  retentionDays: number;
  /** Lifecycle transitions of the designed tiering, in order. */
  transitions: readonly { days: number; storageClass: ReadableStorageClass }[];
  /** Average chunk object size; decides object counts (requests, monitoring) and whether tiering applies at all. */
  averageObjectMiB: number;
}

export interface CostBreakdown {
  storage: number;
  requests: number;
  monitoring: number;
  total: number;
}

export interface CostEstimate {
  /** Monthly USD of the designed tiering. */
  tiered: CostBreakdown;
  /** Monthly USD of the same data in S3 Standard for the same retention. */
  allStandard: CostBreakdown;
  /** `1 - tiered/allStandard`, as a percentage with one decimal. */
  savingPercent: number;
  /** Data held in the bucket at steady state, in GiB. */
  storedGiB: number;
  prices: { region: string; asOf: string; source: string };
}

/** The price of one GB-month for a chunk `age` days old, given the transitions it has gone through. */
function storagePriceAt(age: number, transitions: CostInputs["transitions"], prices: S3Prices): number {
  const current = [...transitions].reverse().find((t) => age >= t.days);
  if (!current) return prices.storage.STANDARD;
  if (current.storageClass !== "INTELLIGENT_TIERING") return prices.storage[current.storageClass];
  // Conservative: the no-access clock starts when the object enters Intelligent-Tiering, and Loki does not read it again.
  const inTier = age - current.days;
  if (inTier >= intelligentTieringDays.archiveInstant) return prices.storage.INTELLIGENT_TIERING_ARCHIVE_INSTANT;
  if (inTier >= intelligentTieringDays.infrequent) return prices.storage.INTELLIGENT_TIERING_INFREQUENT;
  return prices.storage.INTELLIGENT_TIERING_FREQUENT;
}

const round = (usd: number) => Math.round(usd * 100) / 100;

function breakdown(storage: number, requests: number, monitoring: number): CostBreakdown {
  return { storage: round(storage), requests: round(requests), monitoring: round(monitoring), total: round(storage + requests + monitoring) };
}

/**
 * Estimates the monthly S3 bill of Loki's chunks at steady state, tiered as designed and all in S3 Standard.
 * Counts storage, PUTs, lifecycle transitions and Intelligent-Tiering monitoring; GETs and retrievals depend on query
 * patterns and are left out (Intelligent-Tiering charges no retrieval fee; GLACIER_IR and STANDARD_IA do).
 */
export function estimateMonthlyCost(inputs: CostInputs, prices: S3Prices = s3Prices): CostEstimate {
  const { storedGiBPerDay, retentionDays, averageObjectMiB } = inputs;
  if (!(storedGiBPerDay > 0) || !(retentionDays >= 1) || !(averageObjectMiB > 0)) {
    throw new Error(`cost model inputs must be positive: got ${JSON.stringify({ storedGiBPerDay, retentionDays, averageObjectMiB })}`);
  }
  // Prices are per decimal GB; the inputs are GiB.
  const gbPerDay = (storedGiBPerDay * 2 ** 30) / 1e9;
  const objectsPerDay = (storedGiBPerDay * 1024) / averageObjectMiB;
  const tiers = averageObjectMiB >= minTieredObjectMiB ? inputs.transitions.filter((t) => t.days < retentionDays) : [];

  let tieredStorage = 0;
  for (let age = 0; age < retentionDays; age++) tieredStorage += gbPerDay * storagePriceAt(age, tiers, prices);
  const puts = (objectsPerDay * daysPerMonth * prices.putPer1000) / 1000;
  const transitions = tiers.reduce((sum, t) => sum + (objectsPerDay * daysPerMonth * prices.transitionPer1000[t.storageClass]) / 1000, 0);
  const monitoredDays = tiers.reduce((days, t, i) => {
    if (t.storageClass !== "INTELLIGENT_TIERING") return days;
    const leaves = tiers[i + 1]?.days ?? retentionDays;
    return days + (leaves - t.days);
  }, 0);
  const monitoring = (objectsPerDay * monitoredDays * prices.intelligentTieringMonitoringPer1000) / 1000;

  const tiered = breakdown(tieredStorage, puts + transitions, monitoring);
  const allStandard = breakdown(gbPerDay * retentionDays * prices.storage.STANDARD, puts, 0);
  return {
    tiered,
    allStandard,
    savingPercent: Math.round((1 - tiered.total / allStandard.total) * 1000) / 10,
    storedGiB: round(storedGiBPerDay * retentionDays),
    prices: { region: prices.region, asOf: prices.asOf, source: prices.source },
  };
}
