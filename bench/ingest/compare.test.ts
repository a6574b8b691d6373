import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { withWorktree } from './compare.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const worktrees = () => execFileSync('git', ['worktree', 'list', '--porcelain'], { cwd: root, encoding: 'utf8' })

describe('bench:ingest --against', () => {
  it('checks the ref out beside this tree with its node_modules, and removes it afterwards, also when the run fails', async () => {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim()
    let seen = ''
    const failed = withWorktree(root, 'HEAD', async (worktree, commit) => {
      seen = worktree
      expect(commit).toBe(head)
      expect(JSON.parse(readFileSync(join(worktree, 'package.json'), 'utf8')).name).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name)
      expect(realpathSync(join(worktree, 'node_modules'))).toBe(realpathSync(join(root, 'node_modules')))
      expect(worktrees()).toContain(worktree)
      throw new Error('the run failed')
    })
    await expect(failed).rejects.toThrow('the run failed')
    expect(existsSync(seen)).toBe(false)
    expect(worktrees()).not.toContain(seen)
  })

  it('refuses a ref that names no commit', async () => {
    await expect(withWorktree(root, 'no-such-ref-anywhere', async () => undefined)).rejects.toThrow('--against no-such-ref-anywhere: no such commit')
  })
})
