/**
 * docker-compose.yml: validated by Compose itself (`docker compose config`, or Debian's
 * `docker-compose` which `.ci/run` installs; neither needs a Docker engine), and checked
 * structurally: the services exist, every privpath role's command and environment load as a valid
 * configuration, delivery's data directory is a volume of its own, and every mounted path exists.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { configFromFlags } from '../../cli/commands/up.js'
import { ROLES } from '../../core/config/schema.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

interface Service {
  build?: string
  image?: string
  command?: string[]
  environment?: Record<string, string | number>
  volumes?: string[]
  depends_on?: Record<string, { condition: string }>
  healthcheck?: unknown
}

const compose = parse(readFileSync(`${ROOT}/docker-compose.yml`, 'utf8'), { merge: true }) as {
  services: Record<string, Service>
  volumes?: Record<string, unknown>
}
const PRIVPATH_SERVICES = ['collector', 'writer', 'detector', 'delivery']

/** The roles a service's `up --roles …` command runs. */
function rolesOf(name: string): string[] {
  const command = compose.services[name].command ?? []
  return command[command.indexOf('--roles') + 1].split(',')
}

/** `${NAME:-default}` as compose interpolates it with nothing set. */
function interpolate(value: string | number): string {
  return String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')
}

/** The first Compose implementation that answers here, as [command, ...args]. */
function composeCommand(): string[] | undefined {
  for (const candidate of [['docker', 'compose'], ['docker-compose']]) {
    const probe = spawnSync(candidate[0], [...candidate.slice(1), 'version'], { encoding: 'utf8' })
    if (probe.status === 0) return candidate
  }
  return undefined
}

describe('docker-compose.yml', () => {
  const command = composeCommand()
  if (!command) {
    if (process.env.CI === 'true') throw new Error('CI: neither `docker compose` nor `docker-compose` is installed (.ci/run installs docker-compose)')
    console.warn('SKIPPED `compose config`: neither `docker compose` nor `docker-compose` is installed (apt-get install docker-compose)')
  }

  it.skipIf(!command)('is valid for Compose itself (compose config)', () => {
    const [bin, ...args] = command!
    const result = spawnSync(bin, [...args, '-f', `${ROOT}/docker-compose.yml`, 'config', '-q'], { encoding: 'utf8', cwd: ROOT })
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
  })

  it('runs Kafka, ClickHouse, Grafana and the privpath roles', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['clickhouse', 'collector', 'delivery', 'detector', 'grafana', 'kafka', 'writer'])
    for (const name of ['kafka', 'clickhouse']) expect(compose.services[name].healthcheck, name).toBeDefined()
  })

  it.each(PRIVPATH_SERVICES)('%s: built from the Dockerfile, a valid configuration on Kafka and ClickHouse', (name) => {
    const service = compose.services[name]
    expect(service.build).toBe('.')
    const dependencies = Object.keys(service.depends_on ?? {})
    expect(dependencies).toContain('kafka')
    if (rolesOf(name).some((role) => role === 'writer' || role === 'api')) expect(dependencies).toContain('clickhouse')
    const command = service.command ?? []
    expect(command[0]).toBe('up')
    const roles = command[command.indexOf('--roles') + 1]
    const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(v)]))
    const config = configFromFlags({ roles, host: command[command.indexOf('--host') + 1] }, env)
    expect(config.bus.kind).toBe('kafka')
    expect(config.bus.kafka.brokers).toEqual(['kafka:9092'])
    expect(config.store.clickhouse_url).toBe('http://clickhouse:8123')
    expect(config.roles.length).toBeGreaterThan(0)
  })

  it('every role is run by some service', () => {
    const roles = new Set(PRIVPATH_SERVICES.flatMap(rolesOf))
    expect([...roles].sort()).toEqual([...ROLES].sort())
  })

  it('delivery keeps its data directory (the outboxes) on a named volume no other service mounts', () => {
    const mounts = (name: string) => (compose.services[name].volumes ?? []).map((volume) => volume.split(':'))
    const dataDir = mounts('delivery').find(([, target]) => target === '/app/data')
    expect(dataDir, 'a volume at /app/data (WORKDIR /app + the default ./data)').toBeDefined()
    const [volume] = dataDir!
    expect(Object.keys(compose.volumes ?? {})).toContain(volume)
    for (const name of Object.keys(compose.services).filter((n) => n !== 'delivery')) {
      expect(mounts(name).map(([source]) => source), name).not.toContain(volume)
    }
    const dockerfile = readFileSync(`${ROOT}/Dockerfile`, 'utf8')
    expect(dockerfile, 'the image creates /app/data for its user, so a fresh volume there is writable').toMatch(/chown node:node \/app\/data/)
  })

  it("mounts Grafana's provisioning and dashboards from dashboards/", () => {
    const grafana = compose.services.grafana
    expect(grafana.environment?.GF_INSTALL_PLUGINS).toBe('grafana-clickhouse-datasource')
    for (const volume of grafana.volumes ?? []) {
      const source = volume.split(':')[0]
      expect(existsSync(`${ROOT}/${source}`), source).toBe(true)
    }
  })

  it('the Dockerfile runs the privpath command the package declares, with the Node flags `npm start` uses', () => {
    const dockerfile = readFileSync(`${ROOT}/Dockerfile`, 'utf8')
    const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> }
    const [node, ...rest] = pkg.scripts.start.split(' ')
    expect(node).toBe('node')
    expect(rest, 'npm start runs the bin').toContain(pkg.bin.privpath)
    const flags = rest.slice(0, rest.indexOf(pkg.bin.privpath))
    expect(flags).toContain('--max-semi-space-size=64')
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1]
    expect(entrypoint && JSON.parse(entrypoint)).toEqual(['node', ...flags, pkg.bin.privpath])
  })
})
