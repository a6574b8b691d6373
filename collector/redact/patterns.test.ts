import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { mayContainPattern, SECRET_PATTERNS } from './patterns.js'

/** Each pattern on its own, without the global flag's lastIndex state. */
const singles = SECRET_PATTERNS.map(({ regex }) => new RegExp(regex.source, regex.flags.replace('g', '')))
const anySingleMatches = (text: string): boolean => singles.some((regex) => regex.test(text))

/** Pieces that start, end or nearly make up every pattern, so random joins hit pattern edges. */
const piece = fc.oneof(
  fc.constantFrom(
    'AKIA', 'ASIA', 'ghp_', 'github_pat_', 'xoxb-', 'sk-', 'sk-proj-', 'AIza', 'sk_live_', 'rk_test_', 'eyJ', '.', '-----BEGIN ',
    'PRIVATE KEY-----', '-----END PRIVATE KEY-----', 'aws_secret_access_key', 'AWS_SECRET_KEY', 'password', 'PWD', 'api_key',
    'x-api-key', 'Authorization', 'proxy-authorization', 'Bearer ', 'basic ', 'https://', 'svc:', '@', '=', ': ', '"', "'",
    ' ', '\n', '[REDACTED:jwt]', '[REDACTED:', 'xapp-', 'glpat-', 'npm_', 'hf_', 'SG.', 'shpat_', 'dop_v1_', 'whsec_', 'AccountKey=',
    'http://', 'www.',
  ),
  fc.stringMatching(/^[A-Za-z0-9]{1,45}$/),
  fc.stringMatching(/^[A-Z0-9]{16}$/),
  fc.string({ maxLength: 6 }),
)

describe('mayContainPattern', () => {
  it('is true exactly when some single pattern matches', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const text = pieces.join('')
        expect(mayContainPattern(text)).toBe(anySingleMatches(text))
      }),
      { numRuns: 5000 },
    )
  })

  it('is true for a sample of every kind', () => {
    const samples = [
      '-----BEGIN RSA PRIVATE KEY-----abc',
      'eyJhbGciOi.eyJzdWIiOi.sig',
      'AKIAIOSFODNN7EXAMPLE',
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY1',
      'ghp_16C7e42F292c6912E7710c838347Ae178B4a',
      'github_pat_11ABCDEFG0123456789_abcdefghij',
      'xoxb-1234567890-abcdef',
      'sk-abcdefghijklmnopqrstuvwx',
      'AIzaSyA1234567890abcdefghijklmnopqrstuv',
      'sk_live_0123456789abcdefgh',
      'postgres://app:hunter2@db',
      'Authorization: Basic dXNlcjpwYXNz',
      'BEARER abcdefgh12',
      'password=hunter2',
      'glpat-AbCdEfGhIjKlMnOpQrSt',
      'npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789',
      'hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234',
      'SG.AbCdEfGhIjKlMnOpQrStUv.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfG',
      'shpat_0123456789abcdef0123456789abcdef',
      'dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      `AccountKey=${'Ab1+'.repeat(21)}==`,
    ]
    for (const sample of samples) expect([sample, mayContainPattern(sample)]).toEqual([sample, true])
    expect(samples.length).toBeGreaterThanOrEqual(new Set(SECRET_PATTERNS.map(({ kind }) => kind)).size)
  })

  it('is false for plain attribute values', () => {
    for (const value of ['function', 'arn:privpath:tenant-1:bucket/reports', '{"path":"/data/tenant-1/report.csv","limit":100}', 'tenant-isolation-v3']) {
      expect(mayContainPattern(value)).toBe(false)
    }
  })
})
