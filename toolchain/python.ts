/**
 * Python tools the suite runs, installed from PyPI with pip into a virtual environment of their own under the
 * toolchain folder (`.toolchain/venv-<name>`), pinned to one version, with a link in `.toolchain/bin` so tests find
 * them through `toolchainBinary` like every other peer. Only checkov, one of the suite's independent scanners.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { pythonCheckers } from "../config/versions";
import { BuildError, formatElapsed, go, type Subject } from "./go";
import type { BuildContext, Recipe } from "./peers";

/** A package pinned on PyPI and the console scripts of it the suite runs. */
export interface PythonTool {
  /** `npm run toolchain -- <name>`; the venv is `venv-<name>`. */
  name: string;
  package: string;
  version: string;
  binaries: string[];
}

/** checkov, the IaC scanner tests/scanners.spec.ts runs over every stack's render. */
export const checkov: PythonTool = { name: "checkov", ...pythonCheckers.checkov, binaries: ["checkov"] };

/** The interpreter the venv is made from: the first `python3` on PATH. */
const python = "python3";

/** The Python version a venv would be made with (part of the stamp: a new interpreter rebuilds the venv). */
export function pythonVersion(): string {
  try {
    return execFileSync(python, ["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"], { encoding: "utf8" }).trim();
  } catch {
    return "missing";
  }
}

/** The virtual environment of a tool, beside `bin/` in the toolchain folder. */
export function venvDir(binDir: string, tool: PythonTool): string {
  return join(dirname(binDir), `venv-${tool.name}`);
}

/** What `python3 -m venv` says when Debian's python3 lacks venv/ensurepip (they ship in the python3-venv package). */
const noVenv = /ensurepip is not available|No module named venv|No module named ensurepip/;

/**
 * The recipe of a pinned PyPI tool: a fresh venv (`python3 -m venv`), `pip install <package>==<version>` into it,
 * a check that the installed console script runs, and a link to it in `bin/`. Logs each step with its time; the
 * whole build is timed by the toolchain runner. Fails with Debian's package name when `python3 -m venv` is unusable.
 */
export function pythonToolRecipe(tool: PythonTool): Recipe {
  const subject: Subject = { module: `pypi:${tool.package}`, version: tool.version };
  return {
    name: tool.name,
    release: tool.version,
    subject,
    binaries: tool.binaries,
    inputs: { package: tool.package, version: tool.version, python: pythonVersion() },
    async build(ctx: BuildContext) {
      const venv = venvDir(ctx.binDir, tool);
      const step = async (what: string, binary: string, args: string[]) => {
        const t0 = Date.now();
        const out = await go(args, { cwd: ctx.buildDir, subject, step: what, log: ctx.log, binary });
        ctx.log(`    ${what}: ${formatElapsed(Date.now() - t0)}`);
        return out;
      };
      rmSync(venv, { recursive: true, force: true });
      try {
        await step("creating the virtual environment", python, ["-m", "venv", venv]);
      } catch (e) {
        if (e instanceof BuildError && noVenv.test(e.message)) {
          throw new BuildError(`${tool.name}: \`${python} -m venv\` is unavailable; on Debian or Ubuntu install the python3-venv package (apt-get install python3-venv)`);
        }
        throw e;
      }
      const bin = join(venv, "bin");
      await step(`installing ${tool.package}==${tool.version} from PyPI`, join(bin, "pip"), [
        "install", "--disable-pip-version-check", "--no-input", "--quiet", `${tool.package}==${tool.version}`,
      ]);
      const reported = (await step(`checking ${tool.binaries[0]} --version`, join(bin, tool.binaries[0]), ["--version"])).trim();
      if (reported !== tool.version) throw new BuildError(`${tool.name}: installed ${tool.binaries[0]} reports "${reported}", expected ${tool.version}`);
      mkdirSync(ctx.binDir, { recursive: true });
      for (const binary of tool.binaries) {
        const link = join(ctx.binDir, binary);
        rmSync(link, { force: true });
        symlinkSync(join(bin, binary), link);
      }
    },
  };
}

/** checkov's recipe (the `unit` group). */
export function checkovRecipe(): Recipe {
  return pythonToolRecipe(checkov);
}
