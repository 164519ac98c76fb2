import * as assert from "assert";
import { ConfigError, validateStackConfig } from "../config";
import { problem } from "../config/errors";
import { durationSeconds } from "../config/common";
import { chunkPrefixes, expirationDays, indexPrefix, longestRetentionSeconds, retentionInvariants } from "../config/logging";
import { stackValues } from "./support/harness";

/** A prod config with an archive (kept if the stack file already has one). */
function prodWithArchive(): Record<string, any> {
  const v = stackValues("prod");
  v.archive ??= { bucketName: "sigma-prod-loki-chunks-eu-west-1", accessLogs: { bucketName: "sigma-prod-s3-access-logs-eu-west-1" } };
  return v;
}

/**
 * Every problem a config has, as ConfigError prints them: section-local ones from the schema, then the cross-section
 * retention invariants (whether or not config.ts already runs them in its superRefine, the lines are the same).
 */
function problems(edit: (v: Record<string, any>) => void): string[] {
  const v = prodWithArchive();
  edit(v);
  let error: unknown;
  try {
    const config = validateStackConfig(v, "test config");
    const cross = retentionInvariants(config);
    error = new ConfigError(cross.map((p) => problem(p.path, p.input, p.message)), "test config");
    if (cross.length === 0) return [];
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
  return error.message.split("\n").slice(1).map((l) => l.trim());
}

describe("retention invariants", () => {
  it("accept the prod config with an archive, deriving an expiration past retention + delete delay", () => {
    assert.deepStrictEqual(problems(() => {}), []);
    const c = validateStackConfig(prodWithArchive());
    // 365d retention + 2h delete delay = 365.08 days -> 366, plus the 7-day margin.
    assert.strictEqual(expirationDays(c.logging, c.archive!), 373);
  });

  it("derive an expiration that outlives the longest per-stream retention too", () => {
    for (const streamDays of [1, 30, 400, 730]) {
      const v = prodWithArchive();
      v.logging = { retention: { streams: [{ selector: '{namespace="audit"}', priority: 1, period: `${streamDays}d` }] } };
      const c = validateStackConfig(v);
      const retained = longestRetentionSeconds(c.logging) + durationSeconds(c.logging.retention.deleteDelay);
      assert.strictEqual(longestRetentionSeconds(c.logging), Math.max(365, streamDays) * 86_400);
      assert.ok(expirationDays(c.logging, c.archive!) * 86_400 > retained, `stream retention ${streamDays}d`);
      assert.deepStrictEqual(retentionInvariants(c), []);
    }
  });

  it("target only the chunk prefix, never the index or the delete-request store under it", () => {
    assert.deepStrictEqual(chunkPrefixes(), ["fake/"]);
    assert.strictEqual(indexPrefix, "index/");
    for (const prefix of chunkPrefixes()) assert.ok(prefix.length > 1 && !prefix.startsWith(indexPrefix));
  });

  it("accept the replication factors and disruption budgets that keep a write quorum", () => {
    for (const loki of [
      { replicas: 1, replicationFactor: 1 },
      { replicas: 3, replicationFactor: 3, maxUnavailable: 1 },
      { replicas: 4, replicationFactor: 4, maxUnavailable: 1 },
      { replicas: 5, replicationFactor: 5, maxUnavailable: 2 },
    ]) {
      assert.deepStrictEqual(problems((v) => (v.logging = { loki })), [], JSON.stringify(loki));
    }
  });

  const cases: { title: string; edit: (v: Record<string, any>) => void; expect: string[] }[] = [
    {
      title: "explicit expiration shorter than retention + delete delay",
      edit: (v) => (v.archive.expirationDays = 365),
      expect: [
        "- archive.expirationDays: got 365; allowed: more than 365 days: Loki retains chunks 365.08 days (longest retention + retention.deleteDelay), and S3 must not expire them first",
      ],
    },
    {
      title: "a per-stream retention outliving an explicit expiration",
      edit: (v) => {
        v.archive.expirationDays = 400;
        v.logging = { retention: { streams: [{ selector: '{namespace="audit"}', priority: 2, period: "730d" }] } };
      },
      expect: [
        "- archive.expirationDays: got 400; allowed: more than 730 days: Loki retains chunks 730.08 days (longest retention + retention.deleteDelay), and S3 must not expire them first",
      ],
    },
    {
      title: "transition to GLACIER (needs a restore before a GET)",
      edit: (v) => (v.archive.transitions = [{ days: 30, storageClass: "GLACIER" }]),
      expect: ['- archive.transitions[0].storageClass: got "GLACIER"; allowed: GLACIER_IR rather than GLACIER: GLACIER objects must be restored before a GET, and Loki cannot restore them'],
    },
    {
      title: "transition to DEEP_ARCHIVE",
      edit: (v) => (v.archive.transitions = [{ days: 0, storageClass: "INTELLIGENT_TIERING" }, { days: 180, storageClass: "DEEP_ARCHIVE" }]),
      expect: ['- archive.transitions[1].storageClass: got "DEEP_ARCHIVE"; allowed: GLACIER_IR rather than DEEP_ARCHIVE: DEEP_ARCHIVE objects must be restored before a GET, and Loki cannot restore them'],
    },
    {
      title: "transition to ONEZONE_IA (one zone's loss loses the logs)",
      edit: (v) => (v.archive.transitions = [{ days: 30, storageClass: "ONEZONE_IA" }]),
      expect: [
        '- archive.transitions[0].storageClass: got "ONEZONE_IA"; allowed: STANDARD_IA rather than ONEZONE_IA: ONEZONE_IA keeps one copy in one Availability Zone, so losing that zone loses the logs',
      ],
    },
    {
      title: "an unknown storage class",
      edit: (v) => (v.archive.transitions = [{ days: 30, storageClass: "ARCHIVE_ACCESS" }]),
      expect: ['- archive.transitions[0].storageClass: got "ARCHIVE_ACCESS"; allowed: one of STANDARD_IA, INTELLIGENT_TIERING, GLACIER_IR (classes Loki can read in milliseconds)'],
    },
    {
      title: "STANDARD_IA before 30 days",
      edit: (v) => (v.archive.transitions = [{ days: 7, storageClass: "STANDARD_IA" }]),
      expect: ["- archive.transitions[0].days: got 7; allowed: at least 30 for STANDARD_IA (S3 lifecycle: objects stay 30 days in STANDARD first)"],
    },
    {
      title: "a transition against S3's waterfall (Intelligent-Tiering -> Standard-IA)",
      edit: (v) => (v.archive.transitions = [{ days: 0, storageClass: "INTELLIGENT_TIERING" }, { days: 60, storageClass: "STANDARD_IA" }]),
      expect: [
        '- archive.transitions[1].storageClass: got "STANDARD_IA"; allowed: a class after INTELLIGENT_TIERING in S3\'s transition order (STANDARD_IA -> INTELLIGENT_TIERING -> GLACIER_IR)',
      ],
    },
    {
      title: "GLACIER_IR less than 30 days after STANDARD_IA",
      edit: (v) => (v.archive.transitions = [{ days: 30, storageClass: "STANDARD_IA" }, { days: 45, storageClass: "GLACIER_IR" }]),
      expect: ["- archive.transitions[1].days: got 45; allowed: at least 60 (30 days after the STANDARD_IA transition)"],
    },
    {
      title: "GLACIER_IR so late its 90-day minimum outlasts the object",
      edit: (v) => (v.archive.transitions = [{ days: 300, storageClass: "GLACIER_IR" }]),
      expect: ["- archive.transitions[0].days: got 300; allowed: at most 283: chunks expire after 373 days and GLACIER_IR bills at least 90 days of storage"],
    },
    {
      title: "a transition on or after expiration",
      edit: (v) => (v.archive.transitions = [{ days: 400, storageClass: "INTELLIGENT_TIERING" }]),
      expect: ["- archive.transitions[0].days: got 400; allowed: at most 372: chunks expire after 373 days"],
    },
    {
      title: "retention below Loki's 24h minimum",
      edit: (v) => (v.logging = { retention: { period: "12h" }, hotWindow: "6h", maxQueryLength: "12h" }),
      expect: ['- logging.retention.period: got "12h"; allowed: at least 24h (one index period; Loki\'s minimum retention)'],
    },
    {
      title: "a per-stream retention below 24h",
      edit: (v) => (v.logging = { retention: { streams: [{ selector: '{level="debug"}', priority: 1, period: "6h" }] } }),
      expect: ['- logging.retention.streams[0].period: got "6h"; allowed: at least 24h (one index period; Loki\'s minimum retention)'],
    },
    {
      title: "a hot window memcached would read as an absolute time",
      edit: (v) => (v.logging = { hotWindow: "45d" }),
      expect: ['- logging.hotWindow: got "45d"; allowed: at most 30d: memcached reads a longer TTL as an absolute Unix time and drops the item at once'],
    },
    {
      title: "queriers skipping ingesters that still hold unflushed chunks",
      edit: (v) => (v.logging = { queryIngestersWithin: "1h" }),
      expect: [
        '- logging.queryIngestersWithin: got "1h"; allowed: longer than ingester.maxChunkAge (2h): chunks not yet flushed exist only in the ingesters, and a shorter window hides them',
      ],
    },
    {
      title: "a query length beyond the retained range",
      edit: (v) => (v.logging = { maxQueryLength: "400d" }),
      expect: ['- logging.maxQueryLength: got "400d"; allowed: at most retention.period (365d), the query lookback'],
    },
    {
      title: "a replication factor above the replica count",
      edit: (v) => (v.logging = { loki: { replicas: 2 } }),
      expect: ["- logging.loki.replicationFactor: got 3; allowed: at most loki.replicas (2): each copy of a stream lives on a different replica"],
    },
    {
      title: "a replication factor of 2 (its write quorum is both copies)",
      edit: (v) => (v.logging = { loki: { replicationFactor: 2 } }),
      expect: [
        "- logging.loki.replicationFactor: got 2; allowed: 1 or at least 3: a write needs a quorum of floor(RF/2)+1 copies, which with 2 is both, so one ingester down stops writes and the second copy buys no availability",
      ],
    },
    {
      title: "a PDB that lets a drain take the write quorum of RF 3",
      edit: (v) => (v.logging = { loki: { maxUnavailable: 2 } }),
      expect: [
        "- logging.loki.maxUnavailable: got 2; allowed: at most 1 with replicationFactor 3: a write needs 2 of a stream's 3 ingesters, so a drain of more would stop writes",
      ],
    },
    {
      title: "a PDB that lets a drain take the write quorum of RF 5",
      edit: (v) => (v.logging = { loki: { replicas: 5, replicationFactor: 5, maxUnavailable: 3 } }),
      expect: [
        "- logging.loki.maxUnavailable: got 3; allowed: at most 2 with replicationFactor 5: a write needs 3 of a stream's 5 ingesters, so a drain of more would stop writes",
      ],
    },
    {
      title: "several replicas on the filesystem store (no archive)",
      edit: (v) => delete v.archive,
      expect: [
        "- logging.loki.replicas: got 3; allowed: 1 when there is no archive section: the filesystem store lives on each replica's own volume, so replicas would not see each other's chunks",
      ],
    },
    {
      title: "access logs written into the bucket itself",
      edit: (v) => (v.archive.accessLogs = { bucketName: v.archive.bucketName }),
      expect: [
        '- archive.accessLogs.bucketName: got "sigma-prod-loki-chunks-eu-west-1"; allowed: a bucket other than bucketName (sigma-prod-loki-chunks-eu-west-1): logging a bucket into itself logs its own log writes forever',
      ],
    },
    {
      title: "a stream selector Loki's env expansion would rewrite",
      edit: (v) => (v.logging = { retention: { streams: [{ selector: '{app=~"api$"}', priority: 1, period: "30d" }] } }),
      expect: [
        '- logging.retention.streams[0].selector: got "{app=~\\"api$\\"}"; allowed: a stream selector of label matchers such as {namespace="dev"}, without "$" (Loki reads its config with -config.expand-env)',
      ],
    },
  ];

  for (const c of cases) {
    it(`reject ${c.title}`, () => assert.deepStrictEqual(problems(c.edit), c.expect));
  }
});
