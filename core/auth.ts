/**
 * Tenant keys: who is calling, for OTLP ingest and the query API alike.
 *
 * In: `auth.tenant_keys` (`tenant:key`) and `auth.tenant_keys_file`. Out: the caller's tenant for an
 * `Authorization: Bearer <key>` header ('*' for an admin key), or a PP_ERR_UNAUTHORIZED error. With
 * no keys configured authentication is off and every caller is anonymous (tenant from the data).
 * Keys are compared as SHA-256 digests with timingSafeEqual against every configured key, so the
 * time taken does not depend on how much of a key matched or which one did.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { PrivpathError } from './errors.js'

export const ADMIN_TENANT = '*'

export interface AuthSettings {
  tenant_keys: readonly string[]
  tenant_keys_file: string
}

export interface Caller {
  /** The tenant the key belongs to; '*' for admin; '' when authentication is off. */
  tenant: string
  authenticated: boolean
}

export interface Authenticator {
  readonly enabled: boolean
  /** The caller behind an Authorization header; throws PP_ERR_UNAUTHORIZED when keys are on and it does not match. */
  authenticate(authorization: string | undefined): Caller
}

interface KeyEntry {
  tenant: string
  digest: Buffer
}

const digest = (key: string) => createHash('sha256').update(key, 'utf8').digest()

function parseLine(line: string, where: string): KeyEntry {
  const at = line.indexOf(':')
  const tenant = line.slice(0, at).trim()
  const key = line.slice(at + 1).trim()
  if (at <= 0 || tenant === '' || key === '' || /\s/.test(tenant) || /\s/.test(key)) {
    throw new PrivpathError('PP_ERR_CONFIG_INVALID', `${where}: expected "tenant:key"`)
  }
  return { tenant, digest: digest(key) }
}

function readTenantKeys(settings: AuthSettings): KeyEntry[] {
  const entries = settings.tenant_keys.map((line, i) => parseLine(line, `auth.tenant_keys[${i}]`))
  if (settings.tenant_keys_file) {
    let text: string
    try {
      text = readFileSync(settings.tenant_keys_file, 'utf8')
    } catch (cause) {
      throw new PrivpathError(
        'PP_ERR_CONFIG_FILE',
        `auth.tenant_keys_file: cannot read ${settings.tenant_keys_file}: ${(cause as Error).message}`,
        { cause },
      )
    }
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.replace(/#.*$/, '').trim()
      if (line) entries.push(parseLine(line, `auth.tenant_keys_file ${settings.tenant_keys_file} line ${i + 1}`))
    })
  }
  return entries
}

export function createAuthenticator(settings: AuthSettings): Authenticator {
  const keys = readTenantKeys(settings)
  if (keys.length === 0) {
    return { enabled: false, authenticate: () => ({ tenant: '', authenticated: false }) }
  }
  return {
    enabled: true,
    authenticate(authorization) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
      if (!match) {
        throw new PrivpathError('PP_ERR_UNAUTHORIZED', 'missing or malformed Authorization header: expected "Bearer <tenant key>"')
      }
      const presented = digest(match[1])
      let tenant: string | undefined
      for (const entry of keys) {
        if (timingSafeEqual(entry.digest, presented) && tenant === undefined) tenant = entry.tenant
      }
      if (tenant === undefined) throw new PrivpathError('PP_ERR_UNAUTHORIZED', 'unknown tenant key')
      return { tenant, authenticated: true }
    },
  }
}

/** The tenant scope an API caller may read: its own tenant, every tenant for admin, or all when auth is off. */
export function readScope(caller: Caller): { tenant: string } {
  return { tenant: caller.authenticated ? caller.tenant : ADMIN_TENANT }
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host)
}
