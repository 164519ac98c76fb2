import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkers, enginePeers, versions, type Peer, type VersionRow } from "../config/versions";

const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");

/** The README's row for one entry of the versions table. */
function imageRow(key: string, row: VersionRow): string {
  const tested = row.peer ? `\`${row.peer.module}@${row.peer.version}\`` : `not built: ${row.why}`;
  return `| \`${key}\` | \`${row.repository}:${row.tag}\` | ${tested} |`;
}

describe("README", () => {
  it("lists every image of the versions table, with its default and what tests it, and no other", () => {
    const start = readme.indexOf("| `images.` key | default | tested against |");
    assert.ok(start >= 0, "the README has the images table");
    const rows = readme.slice(start).split("\n").slice(2);
    const table = rows.slice(0, rows.findIndex((line) => !line.startsWith("|")));
    assert.deepEqual(table, (Object.entries(versions) as [string, VersionRow][]).map(([key, row]) => imageRow(key, row)));
  });

  it("names each image and Go module only at the version the table pins", () => {
    const rows: VersionRow[] = Object.values(versions);
    const peers: Peer[] = [...rows.flatMap((r) => (r.peer ? [r.peer] : [])), ...Object.values(enginePeers), ...Object.values(checkers)];
    const stale: string[] = [];
    for (const r of rows) {
      for (const m of readme.matchAll(new RegExp(`${r.repository.replace(/[.]/g, "\\.")}:([\\w.-]+)`, "g"))) {
        if (m[1] !== r.tag) stale.push(`${m[0]} (the table pins ${r.tag})`);
      }
    }
    for (const p of peers) {
      for (const m of readme.matchAll(new RegExp(`${p.module.replace(/[.]/g, "\\.")}@([\\w.+-]+)`, "g"))) {
        if (m[1] !== p.version) stale.push(`${m[0]} (the table pins ${p.version})`);
      }
    }
    assert.deepEqual(stale, []);
  });
});
