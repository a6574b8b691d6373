import { describe, expect, it } from 'vitest'
import {
  fingerprint,
  isSensitiveAttributeName,
  looksLikeRawSecret,
  rememberedTest,
  redactAttribute,
  redactText,
} from './redact.js'

const AWS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE'
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
const GHP = 'ghp_16C7e42F292c6912E7710c838347Ae178B4a'
const GITHUB_PAT = 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN'
const SLACK = 'xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx'
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'
const OPENAI = 'sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z'
const PEM = [
  '-----BEGIN RSA PRIVATE KEY-----',
  'MIIEowIBAAKCAQEA7bq98H3nKzqL1hE4mM1b5n2GmQ+2f9wZp0fB1u1oTz2p3sY',
  'q2S1yq4d1r9sVbM8kKc1bQ==',
  '-----END RSA PRIVATE KEY-----',
].join('\n')

function expectRedacted(text: string, secret: string, kind: string): string {
  const result = redactText(text)
  expect(result.text).not.toContain(secret)
  expect(result.text).toContain(`[REDACTED:${kind}]`)
  expect(result.kinds).toContain(kind)
  return result.text
}

describe('redactText: token formats', () => {
  it('AWS access key id and secret key', () => {
    expectRedacted(`key ${AWS_KEY_ID} here`, AWS_KEY_ID, 'aws_access_key_id')
    const text = expectRedacted(`aws_secret_access_key = ${AWS_SECRET}`, AWS_SECRET, 'aws_secret_access_key')
    expect(text).toBe('aws_secret_access_key = [REDACTED:aws_secret_access_key]')
  })

  it('a bare AWS secret key is caught by entropy', () => {
    const random = 'Zq8/vN3kR+tY6mW1pL9xB4cH7jD2fG5sA0eK8uQ3'
    expectRedacted(`the key is ${random} ok`, random, 'high_entropy')
  })

  it('GitHub tokens ghp_, gho_ and github_pat_', () => {
    expectRedacted(`token ${GHP}`, GHP, 'github_token')
    expectRedacted(`x${GHP.replace('ghp_', 'gho_')}`, GHP.slice(4), 'github_token')
    expectRedacted(GITHUB_PAT, GITHUB_PAT, 'github_token')
  })

  it('Slack tokens', () => {
    expectRedacted(`slack: ${SLACK}`, SLACK, 'slack_token')
    expectRedacted('xoxp-12345678901-abcdefghij', 'xoxp-12345678901-abcdefghij', 'slack_token')
  })

  it('JWTs', () => {
    expectRedacted(`id_token=${JWT}`, JWT, 'jwt')
    expectRedacted(JWT, JWT, 'jwt')
  })

  it('PEM private keys, also when cut off before END', () => {
    const text = expectRedacted(`key:\n${PEM}\nafter`, 'MIIEowIBAAKCAQEA', 'pem_private_key')
    expect(text).toBe('key:\n[REDACTED:pem_private_key]\nafter')
    expectRedacted(PEM.slice(0, 90), 'MIIEowIBAAKCAQEA', 'pem_private_key')
  })

  it('Authorization headers and bare Bearer tokens keep the scheme readable', () => {
    expect(redactText('Authorization: Bearer abc.def-123_456').text).toBe('Authorization: Bearer [REDACTED:authorization_header]')
    expect(redactText('{"authorization":"Basic dXNlcjpwYXNz"}').text).toBe('{"authorization":"Basic [REDACTED:authorization_header]"}')
    expect(redactText('curl -H "x: y" bearer s3cr3t-t0k3n-value').text).toBe('curl -H "x: y" bearer [REDACTED:bearer_token]')
  })

  it('passwords in URLs', () => {
    const text = expectRedacted('connect postgres://admin:hunter2@db.internal:5432/app', 'hunter2', 'url_password')
    expect(text).toBe('connect postgres://admin:[REDACTED:url_password]@db.internal:5432/app')
  })

  it('generic password= and api_key= pairs, bare, quoted and JSON', () => {
    expect(redactText('login password=hunter2 now').text).toBe('login password=[REDACTED:secret_assignment] now')
    expect(redactText('api_key: abc123&x=1').text).toBe('api_key: [REDACTED:secret_assignment]&x=1')
    expect(redactText('{"password": "correct horse battery"}').text).toBe('{"password": "[REDACTED:secret_assignment]"}')
    expect(redactText("client_secret='s e c r e t'").text).toBe("client_secret='[REDACTED:secret_assignment]'")
    expect(redactText('https://api.example.com/v1?apikey=0123abcd&q=x').text).toContain('apikey=[REDACTED:secret_assignment]&q=x')
  })

  it('OpenAI-style sk- keys', () => {
    expectRedacted(`OPENAI_API_KEY ${OPENAI}`, OPENAI, 'openai_key')
    expectRedacted('sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123', 'AbCdEfGhIjKlMnOpQrStUvWxYz0123', 'openai_key')
  })

  it('does not redact a placeholder twice', () => {
    const once = redactText(`password=${GHP}`)
    expect(redactText(once.text)).toEqual({ text: once.text, kinds: [] })
  })

  it('reports several kinds once each, in order found', () => {
    const result = redactText(`${JWT} ${AWS_KEY_ID} ${JWT}`)
    expect(result.kinds).toEqual(['jwt', 'aws_access_key_id'])
  })
})

describe('redactText: no false positives', () => {
  const clean = [
    'The quick brown fox jumps over the lazy dog; internationalization and localization.',
    'task 550e8400-e29b-41d4-a716-446655440000 ran on span 00f067aa0ba902b7 in trace 4bf92f3577b34da6a3ce929d0e0e4736',
    'sha256 digest e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 and git 9fceb02d0ae598e95dc970b74767f19372d61af8',
    'getUserAccountNameFromDatabase and CanvasRenderingContext2D and COMPRESSED_SRGB8_ALPHA8_ASTC_10x10_KHR',
    'see https://developer.mozilla.org/docs/Web/API/CanvasRenderingContext2D/createLinearGradient for details',
    'node_modules/@opentelemetry/sdk-trace-base/build/src/BatchSpanProcessorBase.js:123',
    'privpath-collector-service-production-east1 and my_service_v2_production_east1',
    'integrity sha512-WsFQx7phsTe77jeRginAYAlRdy5CNkOSlhNgpOfr31zia5T103mSpeo2QR42uB1S+e9zClrcGaPigxR5a009gA==',
    'gen_ai.usage.input_tokens=1200 max_tokens: 4096 token budget: 20000',
    'task-0123456789abcdef0123456789abcdef ask-the-user-for-permission-before-deleting',
    'timestamp 1732406400000123456 phone 0049301234567890',
  ]
  for (const text of clean) {
    it(JSON.stringify(text.slice(0, 40)), () => {
      expect(redactText(text)).toEqual({ text, kinds: [] })
    })
  }
})

describe('sensitive attribute names', () => {
  it('redacts the whole value of secret-named attributes', () => {
    expect(redactAttribute('db.password', 'hunter2')).toEqual({
      text: '[REDACTED:sensitive_attribute]',
      kinds: ['sensitive_attribute'],
    })
    // Twice: the second answer comes from the verdicts remembered by name.
    for (let pass = 0; pass < 2; pass++) {
      expect(isSensitiveAttributeName('http.request.header.authorization')).toBe(true)
      expect(isSensitiveAttributeName('gen_ai.usage.input_tokens')).toBe(false)
      expect(isSensitiveAttributeName('credential.type')).toBe(false)
      expect(redactAttribute('db.password', 'hunter2').text).toBe('[REDACTED:sensitive_attribute]')
    }
    expect(redactAttribute('http.method', 'GET')).toEqual({ text: 'GET', kinds: [] })
  })

  it('remembers only verdicts of stateless expressions', () => {
    expect(() => rememberedTest(/key/g)).toThrow('rememberedTest needs a stateless expression, got flags "g"')
    expect(() => rememberedTest(/key/y)).toThrow('got flags "y"')
    const endsInKey = rememberedTest(/key$/i)
    expect([endsInKey('api.KEY'), endsInKey('api.KEY'), endsInKey('keyring')]).toEqual([true, true, false])
  })

  it('judges long and many attribute names the same as the expression does', () => {
    const names = Array.from({ length: 20_000 }, (_, i) => (i % 3 === 0 ? `x${i}.api_key` : `${'n'.repeat(i % 200)}.${i}`))
    for (let pass = 0; pass < 2; pass++) {
      for (const name of names) expect(isSensitiveAttributeName(name)).toBe(name.endsWith('api_key'))
    }
  })
})

describe('credential id fingerprints', () => {
  it('treats token formats and long random strings as raw secrets', () => {
    expect(looksLikeRawSecret(GHP)).toBe(true)
    expect(looksLikeRawSecret(AWS_KEY_ID)).toBe(true)
    expect(looksLikeRawSecret('Xk9pL2mQ7rT4vW8yZ1aB3cD5eF')).toBe(true)
  })

  it('keeps handles: UUIDs, hex ids, readable names', () => {
    expect(looksLikeRawSecret('550e8400-e29b-41d4-a716-446655440000')).toBe(false)
    expect(looksLikeRawSecret('cred-7f3a9c2e1b4d5f60')).toBe(false)
    expect(looksLikeRawSecret('arn:aws:iam::123456789012:role/agent-reader')).toBe(false)
    expect(looksLikeRawSecret('db-reader-token-42')).toBe(false)
  })

  it('fingerprints deterministically with sha256', () => {
    expect(fingerprint('abc')).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(fingerprint(GHP)).toBe(fingerprint(GHP))
    expect(fingerprint(GHP)).not.toBe(fingerprint(`${GHP}x`))
  })
})
