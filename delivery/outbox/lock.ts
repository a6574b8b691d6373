/**
 * One delivery process per data directory: `<outbox>/.lock` holds the owner's pid. A lock left
 * by a process that no longer exists (kill -9) is taken over.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PrivpathError } from '../../core/errors.js'

const LOCK_FILE = '.lock'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The pid of a live process holding the outbox, if any. */
export function lockOwner(outboxDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(outboxDir, LOCK_FILE), 'utf8').trim())
    return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined
  } catch {
    return undefined
  }
}

export function acquireLock(outboxDir: string): () => void {
  const owner = lockOwner(outboxDir)
  if (owner !== undefined) {
    throw new PrivpathError('PP_ERR_UNAVAILABLE', `outbox ${outboxDir} is in use by process ${owner}; stop it or use its API`)
  }
  const file = join(outboxDir, LOCK_FILE)
  writeFileSync(file, String(process.pid))
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file)
    } catch {
      // Already gone.
    }
  }
}
