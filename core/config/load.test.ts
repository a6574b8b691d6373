import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig, validateConfig } from './load.js'

describe('loadConfig', () => {
  it('applies defaults when nothing is set', () => {
    const config = loadConfig({ env: {} })
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 4318, grpc_port: 4317 })
    expect(config.store.data_dir).toBe('./data')
    expect(config.bus.kind).toBe('memory')
    expect(config.roles).toEqual(['collector', 'writer', 'detector', 'delivery', 'api'])
  })

  it('reads environment variables over the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-config-'))
    const file = join(dir, 'privpath.yaml')
    writeFileSync(file, 'server:\n  port: 9000\n  host: 0.0.0.0\ncollector:\n  grace_window_ms: 5000\n')
    const config = loadConfig({ env: { PRIVPATH_PORT: '9100', PRIVPATH_GRPC_PORT: '0', PRIVPATH_TENANT_KEYS: 'acme:k1, globex:k2' }, file })
    expect(config.server.port).toBe(9100)
    expect(config.server.grpc_port).toBe(0)
    expect(config.server.host).toBe('0.0.0.0')
    expect(config.collector.grace_window_ms).toBe(5000)
    expect(config.auth.tenant_keys).toEqual(['acme:k1', 'globex:k2'])
  })

  it('names the setting and the variable when a value is invalid', () => {
    expect(() => loadConfig({ env: { PRIVPATH_PORT: 'eighty' } })).toThrow(/server\.port \(from PRIVPATH_PORT\)/)
    expect(() => loadConfig({ env: { PRIVPATH_BUS: 'rabbit' } })).toThrow(/bus\.kind/)
    expect(() => loadConfig({ env: { PRIVPATH_GRPC_PORT: '70000' } })).toThrow(/server\.grpc_port \(from PRIVPATH_GRPC_PORT\)/)
  })

  it('refuses a byte bound on the queue below the largest body the server takes, naming both settings', () => {
    expect(() => validateConfig({ server: { max_body_bytes: 4096 }, collector: { max_queued_bytes: 4095 } })).toThrow(
      /collector\.max_queued_bytes \(4095\) must be at least server\.max_body_bytes \(4096\)/,
    )
    expect(validateConfig({ server: { max_body_bytes: 4096 }, collector: { max_queued_bytes: 4096 } }).collector.max_queued_bytes).toBe(4096)
  })

  it('refuses an OPA result expression that is not JSONata, naming the setting and where', () => {
    expect(() => validateConfig({ collector: { opa_result_expression: 'result.allow = ' } })).toThrow(
      /collector\.opa_result_expression: not a valid JSONata expression at character \d+: /,
    )
    expect(validateConfig({ collector: { opa_result_expression: 'result.decision = "permit"' } }).collector.opa_result_expression).toBe('result.decision = "permit"')
  })

  it('rejects unknown settings in the file by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-config-'))
    const file = join(dir, 'privpath.yaml')
    writeFileSync(file, 'server:\n  prot: 9000\n')
    expect(() => loadConfig({ env: {}, file })).toThrow(/server\.prot: unknown setting/)
  })

  it('reports an unreadable or malformed file', () => {
    expect(() => loadConfig({ env: {}, file: '/nonexistent/privpath.yaml' })).toThrow(/cannot read config file/)
    const dir = mkdtempSync(join(tmpdir(), 'pp-config-'))
    const file = join(dir, 'bad.yaml')
    writeFileSync(file, 'server: [unclosed\n')
    expect(() => loadConfig({ env: {}, file })).toThrow(/not valid YAML/)
  })
})

describe('privpath.example.yaml', () => {
  it('loads and equals the defaults, so its comments stay true', async () => {
    const { fileURLToPath } = await import('node:url')
    const file = fileURLToPath(new URL('../../privpath.example.yaml', import.meta.url))
    expect(loadConfig({ env: {}, file })).toEqual(loadConfig({ env: {} }))
  })
})
