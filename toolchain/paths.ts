/** Where the toolchain keeps its binaries: `.toolchain/` in the project (gitignored), or `$TOOLCHAIN_DIR`. */
import { accessSync, constants } from "node:fs";
import { join, resolve } from "node:path";

export const projectDir = resolve(__dirname, "..");

export function toolchainDir(): string {
  return process.env.TOOLCHAIN_DIR ? resolve(process.env.TOOLCHAIN_DIR) : join(projectDir, ".toolchain");
}

/** The path of a binary the toolchain builds; throws, saying how to build it, when it is missing. */
export function toolchainBinary(name: string): string {
  const path = join(toolchainDir(), "bin", name);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`${path} is missing: build the real peers with \`npm run toolchain\` (npm test runs it first)`);
  }
  return path;
}
