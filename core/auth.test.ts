import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createAuthenticator, isLoopbackHost, readScope } from './auth.js'

describe('tenant keys', () => {
  it('is off without keys: callers are anonymous and read every tenant', () => {
    const auth = createAuthenticator({ tenant_keys: [], tenant_keys_file: '' })
    expect(auth.enabled).toBe(false)
    const caller = auth.authenticate(undefined)
    expect(caller).toEqual({ tenant: '', authenticated: false })
    expect(readScope(caller)).toEqual({ tenant: '*' })
  })

  it('maps a bearer key to its tenant, admin keys to "*", and refuses the rest', () => {
    const auth = createAuthenticator({ tenant_keys: ['acme:k1', '*:root'], tenant_keys_file: '' })
    expect(auth.authenticate('Bearer k1')).toEqual({ tenant: 'acme', authenticated: true })
    expect(auth.authenticate('bearer   root')).toEqual({ tenant: '*', authenticated: true })
    expect(readScope(auth.authenticate('Bearer k1'))).toEqual({ tenant: 'acme' })
    for (const header of [undefined, '', 'k1', 'Basic k1', 'Bearer k', 'Bearer k11', 'Bearer k1 extra']) {
      expect(() => auth.authenticate(header), String(header)).toThrow(expect.objectContaining({ code: 'PP_ERR_UNAUTHORIZED', status: 401 }))
    }
  })

  it('reads keys from a file with comments and names the bad line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'privpath-keys-'))
    const file = join(dir, 'keys')
    writeFileSync(file, '# tenants\nacme:k1\n\nglobex:k2  # ops\n')
    const auth = createAuthenticator({ tenant_keys: [], tenant_keys_file: file })
    expect(auth.authenticate('Bearer k2').tenant).toBe('globex')
    writeFileSync(file, 'acme:k1\nno-colon-here\n')
    expect(() => createAuthenticator({ tenant_keys: [], tenant_keys_file: file })).toThrow(/line 2/)
    expect(() => createAuthenticator({ tenant_keys: [], tenant_keys_file: join(dir, 'missing') })).toThrow(
      expect.objectContaining({ code: 'PP_ERR_CONFIG_FILE' }),
    )
  })

  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) expect(isLoopbackHost(host), host).toBe(true)
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com']) expect(isLoopbackHost(host), host).toBe(false)
  })
})
