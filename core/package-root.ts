/** Where privpath's own files are (the built-in rules, the console's assets, package.json), found from this module. */
import { basename, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The package root, whether privpath runs from source or from dist/. */
export function packageRoot(): string {
  // this file is <root>/core/package-root.ts, or <root>/dist/core/package-root.js once built
  const root = resolve(fileURLToPath(new URL('..', import.meta.url)))
  return basename(root) === 'dist' ? resolve(root, '..') : root
}
