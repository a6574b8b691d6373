import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { configFromFlags } from './up.js'

describe('privpath up flags', () => {
  it('layers defaults, file, environment and flags, flags winning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'privpath-up-'))
    const file = join(dir, 'privpath.yaml')
    writeFileSync(file, 'server:\n  port: 9000\n  host: 127.0.0.2\nstore:\n  data_dir: /from/file\n')
    const fromFile = configFromFlags({ config: file }, {})
    expect(fromFile.server).toMatchObject({ port: 9000, host: '127.0.0.2' })
    expect(fromFile.roles).toEqual(['collector', 'writer', 'detector', 'delivery', 'api'])
    const env = { PRIVPATH_PORT: '9100', PRIVPATH_DATA_DIR: '/from/env' }
    expect(configFromFlags({ config: file }, env).server.port).toBe(9100)
    const flags = configFromFlags({ config: file, port: '0', host: '::1', dataDir: '/from/flag', roles: 'collector, api' }, env)
    expect(flags.server).toMatchObject({ port: 0, host: '::1' })
    expect(flags.store.data_dir).toBe('/from/flag')
    expect(flags.roles).toEqual(['collector', 'api'])
  })

  it('refuses bad flags naming the setting', () => {
    expect(() => configFromFlags({ port: 'eighty' }, {})).toThrow(/server\.port/)
    expect(() => configFromFlags({ port: '70000' }, {})).toThrow(/server\.port/)
    expect(() => configFromFlags({ roles: 'collector,janitor' }, {})).toThrow(/roles/)
  })
})
