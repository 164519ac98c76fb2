import { StackConfig, StackSecrets, pagerdutyTeams, secretKeys, validateStackConfig } from "../../config";

/**
 * Secret config cannot be read offline: a stack file holds it encrypted (or not at all) and only the stack's secrets
 * provider can decrypt it. The render fills every secret it cannot read with a placeholder of the right shape, so the
 * program runs exactly as it would with real values; the render never prints them ("[secret]"). A secret written in
 * plaintext in the stack file gets no placeholder, so the program refuses it as it would under the CLI.
 */
export function placeholderSecrets(
  plain: Record<string, unknown>,
  provided: Record<string, unknown>,
): { secrets: Record<string, unknown>; placeholders: string[] } {
  const written = new Set(Object.keys(plain));
  const c = parsed(Object.fromEntries(Object.entries(plain).filter(([k]) => !(secretKeys as string[]).includes(k))));
  const offline: StackSecrets = {
    slackWebhookUrl: "https://hooks.slack.com/services/T00000000/B00000000/offlinerenderplaceholder",
    pagerdutyRoutingKeys: Object.fromEntries((c ? pagerdutyTeams(c) : []).map((t) => [t, "0".repeat(32)])),
    smtpPassword: "offline-render-placeholder",
  };
  const needed = secretKeys.filter((k) => k !== "smtpPassword" || c?.alerting.email.username);
  const secrets: Record<string, unknown> = { ...provided };
  const placeholders: string[] = [];
  for (const key of needed) {
    if (!(key in secrets) && !written.has(key)) {
      secrets[key] = offline[key];
      placeholders.push(key);
    }
  }
  return { secrets, placeholders };
}

function parsed(plain: Record<string, unknown>): StackConfig | undefined {
  try {
    return validateStackConfig(plain);
  } catch {
    // The program reports the config problems itself, before it ever reads a secret.
    return undefined;
  }
}
