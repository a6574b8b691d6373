/**
 * Known secret formats. Each pattern's secret is the tail of its match: the named group `secret`
 * when present (the key name or scheme before it stays readable), otherwise the whole match.
 * Patterns with a distinctive prefix have no leading word boundary so a token glued to other text
 * is still found; generic ones (`sk-`, `Bearer`, assignments) keep it to avoid false positives.
 */

export interface SecretPattern {
  kind: string
  regex: RegExp
  /** A substring every match contains; text without it skips the regex (a cheap prefilter). */
  hint?: string
}

/** Values already replaced are never matched again. */
const NOT_REDACTED = '(?!\\[REDACTED:)'

/**
 * "Reset your password: https://…" names a link, not a password; credentials inside a URL are
 * url_password's.
 */
const NOT_URL = '(?!(?:https?://|www\\.))'

/**
 * A header value without a scheme word must mix letters with digits or inner symbols: "Payment
 * authorization: approved." and a card's "Authorization: 483920" are not credentials. Bearer
 * tokens likewise: "payable to bearer instrument" is prose.
 */
const MIXED_VALUE = `(?=[^\\s"',;]*[A-Za-z])(?=[^\\s"',;]*(?:[0-9]|[._~+/=-][^\\s"',;]))`

export const SECRET_PATTERNS: readonly SecretPattern[] = [
  {
    kind: 'pem_private_key',
    regex: /-----BEGIN[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|$)/g,
    hint: '-----BEGIN',
  },
  { kind: 'jwt', regex: /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, hint: 'eyJ' },
  { kind: 'aws_access_key_id', regex: /(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z0-9]{16}/g },
  {
    kind: 'aws_secret_access_key',
    regex: new RegExp(
      `aws_?secret(?:_?access)?_?key["']?\\s*[:=]\\s*["']?${NOT_REDACTED}(?<secret>[A-Za-z0-9/+=]{40})`,
      'gi',
    ),
  },
  { kind: 'github_token', regex: /(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}/g },
  { kind: 'github_token', regex: /github_pat_[A-Za-z0-9_]{22,255}/g, hint: 'github_pat_' },
  { kind: 'slack_token', regex: /(?:xox[abposrec]|xapp)-[A-Za-z0-9-]{10,250}/g },
  { kind: 'gitlab_token', regex: /glpat-[A-Za-z0-9_-]{20,}/g, hint: 'glpat-' },
  { kind: 'npm_token', regex: /\bnpm_[A-Za-z0-9]{36}/g, hint: 'npm_' },
  { kind: 'huggingface_token', regex: /\bhf_[A-Za-z0-9]{30,}/g, hint: 'hf_' },
  { kind: 'sendgrid_key', regex: /SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}/g, hint: 'SG.' },
  { kind: 'shopify_token', regex: /shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}/g, hint: 'shp' },
  { kind: 'digitalocean_token', regex: /do[por]_v1_[a-f0-9]{64}/g, hint: '_v1_' },
  { kind: 'azure_storage_key', regex: new RegExp(`AccountKey=${NOT_REDACTED}(?<secret>[A-Za-z0-9+/]{80,}={0,2})`, 'g'), hint: 'AccountKey=' },
  { kind: 'openai_key', regex: /\bsk-(?:proj-|svcacct-|admin-|ant-(?:api\d\d-)?)?[A-Za-z0-9_-]{20,}/g },
  { kind: 'google_api_key', regex: /AIza[0-9A-Za-z_-]{35}/g, hint: 'AIza' },
  { kind: 'stripe_key', regex: /(?:(?:sk|rk)_(?:live|test)|whsec)_[0-9A-Za-z]{16,}/g },
  {
    kind: 'url_password',
    regex: new RegExp(`\\b[a-z][a-z0-9+.-]*://[^\\s:@/]+:${NOT_REDACTED}(?<secret>[^\\s@/]+)(?=@)`, 'gi'),
    hint: '://',
  },
  {
    kind: 'authorization_header',
    regex: new RegExp(
      `\\b(?:proxy-)?authorization["']?\\s*[:=]\\s*["']?(?:(?:bearer|basic|token|digest|apikey)\\s+|${MIXED_VALUE})${NOT_REDACTED}(?!(?:bearer|basic|token|digest|apikey)\\s)(?<secret>[^\\s"',;]{6,})`,
      'gi',
    ),
  },
  { kind: 'bearer_token', regex: new RegExp(`\\bbearer\\s+${NOT_REDACTED}(?=[A-Za-z]*(?:[0-9]|[._~+/-][A-Za-z0-9]))(?<secret>[A-Za-z0-9._~+/-]{8,}=*)`, 'gi') },
  {
    kind: 'secret_assignment',
    regex: new RegExp(
      '\\b(?:password|passwd|pwd|passphrase|secret|client_?secret|api_?key|apikey|x-api-key|access_?token|auth_?token|refresh_?token|private_?key|secret_?key)' +
        `["']?\\s*[:=]\\s*(?:"${NOT_REDACTED}${NOT_URL}(?<secret>[^"]{3,})|'${NOT_REDACTED}${NOT_URL}(?<quoted>[^']{3,})|${NOT_REDACTED}${NOT_URL}(?<bare>[^\\s"'&,;}]{3,}))`,
      'gi',
    ),
  },
]

/**
 * Every pattern of one case-sensitivity joined into one alternation. Text that none of them
 * matches contains no match of any single pattern, so it skips the pattern-by-pattern pass; most
 * attribute values are such text. Named groups are dropped (names repeat across patterns).
 */
function gate(patterns: readonly SecretPattern[]): RegExp | undefined {
  if (patterns.length === 0) return undefined
  const sources = patterns.map(({ regex }) => `(?:${regex.source.replace(/\(\?<[A-Za-z]\w*>/g, '(?:')})`)
  return new RegExp(sources.join('|'), patterns[0].regex.ignoreCase ? 'i' : '')
}

const PATTERN_GATES: readonly RegExp[] = [
  gate(SECRET_PATTERNS.filter(({ regex }) => !regex.ignoreCase)),
  gate(SECRET_PATTERNS.filter(({ regex }) => regex.ignoreCase)),
].filter((regex): regex is RegExp => regex !== undefined)

/** False only when no pattern of SECRET_PATTERNS can match `text`. */
export function mayContainPattern(text: string): boolean {
  for (const regex of PATTERN_GATES) if (regex.test(text)) return true
  return false
}
