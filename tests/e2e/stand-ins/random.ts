/**
 * A stand-in for `pulumi-resource-random`, whose provider module the Go module proxy does not serve. It implements
 * only what the program uses, `random:index/randomPassword:RandomPassword`, with the real provider's inputs, defaults,
 * validation and lifecycle (every input forces a replacement, the id is "none", `result` is a secret because the SDK
 * marks it so), and refuses any other type by name. `bcryptHash` is not computed (Node has no bcrypt and nothing we
 * deploy reads it). The engine starts it from PATH like any provider plugin; the suite's launcher runs this file.
 */
import { randomInt } from "node:crypto";
import { main, type Provider } from "@pulumi/pulumi/provider";

const passwordType = "random:index/randomPassword:RandomPassword";

const sets = {
  lower: "abcdefghijklmnopqrstuvwxyz",
  upper: "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  numeric: "0123456789",
  special: "!@#$%&*()-_=+[]{}<>:?",
};

/** The inputs of RandomPassword, each of which forces a replacement when it changes. */
const inputNames = ["keepers", "length", "lower", "minLower", "minNumeric", "minSpecial", "minUpper", "number", "numeric", "overrideSpecial", "special", "upper"] as const;

/** The resource's own type: the URN's type part is the parent types' chain, joined by `$`. */
function typeOf(urn: string): string {
  return (urn.split("::")[2] ?? urn).split("$").pop()!;
}

function onlyPasswords(urn: string): void {
  if (typeOf(urn) !== passwordType) {
    throw new Error(`the random stand-in implements only ${passwordType}; ${typeOf(urn)} needs the real pulumi-resource-random`);
  }
}

/** The inputs with the real provider's defaults filled in, or the failures it would report. */
function checkPassword(news: Record<string, any>): { inputs: Record<string, any>; failures: { property: string; reason: string }[] } {
  const inputs: Record<string, any> = {
    lower: true, upper: true, special: true, minLower: 0, minUpper: 0, minNumeric: 0, minSpecial: 0,
    ...news,
  };
  // `number` is the deprecated name of `numeric`; the real provider keeps both equal.
  inputs.numeric = news.numeric ?? news.number ?? true;
  inputs.number = inputs.numeric;
  const failures: { property: string; reason: string }[] = [];
  if (!Number.isInteger(inputs.length) || inputs.length < 1) failures.push({ property: "length", reason: `got ${JSON.stringify(inputs.length)}; allowed: an integer >= 1` });
  const minimum = inputs.minLower + inputs.minUpper + inputs.minNumeric + inputs.minSpecial;
  if (minimum > inputs.length) failures.push({ property: "length", reason: `got ${inputs.length}; must be at least the sum of the min* counts (${minimum})` });
  if (!inputs.lower && !inputs.upper && !inputs.numeric && !inputs.special) failures.push({ property: "length", reason: "every character class is disabled" });
  return { inputs, failures };
}

function generate(p: Record<string, any>): string {
  const special = p.overrideSpecial ?? sets.special;
  const classes: [boolean, string, number][] = [
    [p.lower, sets.lower, p.minLower], [p.upper, sets.upper, p.minUpper], [p.numeric, sets.numeric, p.minNumeric], [p.special, special, p.minSpecial],
  ];
  const pick = (chars: string) => chars[randomInt(chars.length)];
  const chars: string[] = [];
  for (const [on, set, min] of classes) if (on) for (let i = 0; i < min; i++) chars.push(pick(set));
  const all = classes.filter(([on]) => on).map(([, set]) => set).join("");
  while (chars.length < p.length) chars.push(pick(all));
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join("");
}

const provider: Provider = {
  version: process.env.RANDOM_STAND_IN_VERSION ?? "0.0.0",
  async check(urn, _olds, news) {
    onlyPasswords(urn);
    return checkPassword(news);
  },
  async diff(_id, urn, olds, news) {
    onlyPasswords(urn);
    const replaces = inputNames.filter((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
  },
  async create(urn, inputs) {
    onlyPasswords(urn);
    return { id: "none", outs: { ...inputs, result: generate(inputs) } };
  },
  async read(id, urn, props) {
    onlyPasswords(urn);
    return { id, props };
  },
  async delete(_id, urn) {
    onlyPasswords(urn);
  },
};

main(provider, process.argv.slice(2)).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
