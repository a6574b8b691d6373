/**
 * The built-in console as a fastify plugin: static assets from `console/public` (read once at
 * registration, served from memory with ETags), the page shell for the console's routes
 * (`/`, `/tasks/<id>`, `/alerts`, `/rules`), and headers that keep the page self-contained
 * (CSP: same origin only; no frames; no referrer). Data comes from the query API on the same
 * origin; this plugin serves no data of its own.
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { extname, join } from 'node:path'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { packageRoot } from '../../core/package-root.js'

export interface ConsoleOptions {
  /** Directory of the console's static files; default: console/public at the package root. */
  publicDir?: string
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
}

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
}

/** Asset URLs are /console/<file>; pages are the SPA routes below. */
export const ASSET_PREFIX = '/console/'
export const PAGE_ROUTES = ['/', '/tasks/*', '/alerts', '/rules'] as const

interface Asset {
  body: Buffer
  type: string
  etag: string
}

function defaultPublicDir(): string {
  return join(packageRoot(), 'console', 'public')
}

function readAssets(dir: string): Map<string, Asset> {
  if (!existsSync(join(dir, 'index.html'))) throw new Error(`console: ${join(dir, 'index.html')} not found`)
  const assets = new Map<string, Asset>()
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const type = TYPES[extname(entry.name)]
    if (!entry.isFile() || type === undefined) continue
    const body = readFileSync(join(dir, entry.name))
    assets.set(entry.name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` })
  }
  return assets
}

function send(reply: FastifyReply, asset: Asset, ifNoneMatch: string | undefined, cache: string): FastifyReply {
  reply.headers(SECURITY_HEADERS).header('etag', asset.etag).header('cache-control', cache)
  if (ifNoneMatch === asset.etag) return reply.code(304).send()
  return reply.type(asset.type).send(asset.body)
}

export function consolePlugin(options: ConsoleOptions = {}) {
  const assets = readAssets(options.publicDir ?? defaultPublicDir())
  const shell = assets.get('index.html') as Asset
  return async function console(app: FastifyInstance): Promise<void> {
    // Revalidated on every load: a new release must not run next to a cached older script.
    const cache = 'no-cache'
    // Pages and assets for the browser, not API: left out of the OpenAPI document.
    const page = { schema: { hide: true } }
    for (const route of PAGE_ROUTES) {
      app.get(route, page, async (request, reply) => send(reply, shell, request.headers['if-none-match'], cache))
    }
    app.get(`${ASSET_PREFIX}:file`, page, async (request, reply) => {
      const asset = assets.get((request.params as { file: string }).file)
      if (!asset) return reply.code(404).headers(SECURITY_HEADERS).send({ code: 'PP_ERR_NOT_FOUND', message: 'no such console file' })
      return send(reply, asset, request.headers['if-none-match'], cache)
    })
  }
}
