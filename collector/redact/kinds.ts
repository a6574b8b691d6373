/**
 * What each redacted kind is, for rules that set severity by kind (rules/secret-in-content.yaml,
 * rules/token-in-content.yaml): the redactor knows what it found; how bad that is stays the rules'.
 * - `credential`: lasts until someone rotates it — private keys, cloud and API keys with a known
 *   format, passwords (`password=`, connection strings), values of secret-named attributes;
 * - `session`: bearer credentials that expire on their own — JWTs, `Bearer` tokens, Authorization
 *   header values;
 * - `unidentified`: a random-looking run no format or label explains (`high_entropy`).
 * One-time codes are not redacted at all: they expire in minutes, users read them from e-mail
 * every day, and forwarding one is caught by following the value (provenance), which a placeholder
 * would hide.
 */
export type SecretCategory = 'credential' | 'session' | 'unidentified'

const SESSION_KINDS: ReadonlySet<string> = new Set(['jwt', 'bearer_token', 'authorization_header'])

/** A kind added later is a credential until listed otherwise: an unknown kind fails towards alerting. */
export function secretCategory(kind: string): SecretCategory {
  if (SESSION_KINDS.has(kind)) return 'session'
  if (kind === 'high_entropy') return 'unidentified'
  return 'credential'
}
