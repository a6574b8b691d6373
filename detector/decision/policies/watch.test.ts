import { rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { silentTelemetry } from '../../../core/telemetry.js'
import { policyDir } from '../../../testkit/policies.js'
import type { PolicyLoad } from './load.js'
import type { PolicySet } from './policy-set.js'
import { policyInput } from './test-file.js'
import { watchPolicies } from './watch.js'

const FORBID_SHELL = `@id("no-shell") forbid (principal, action == Action::"shell.exec", resource);`
const FORBID_DROP = `@id("no-drop") forbid (principal, action == Action::"db.drop", resource);`

type Outcome = { kind: 'loaded'; set: PolicySet } | { kind: 'rejected'; load: PolicyLoad }

const describeOutcome = (o: Outcome) => (o.kind === 'loaded' ? `loaded ${o.set.ids().join(',')}` : `rejected ${o.load.errors.length}`)

/**
 * Reload outcomes in order. A save may reach the watcher as events further apart than the
 * debounce on a busy machine, so one edit can reload twice: `next(kind)` waits for the next
 * outcome of that kind and fails if anything but a repeat of the previous outcome came first.
 */
function outcomes() {
  const queue: Outcome[] = []
  let wake: (() => void) | undefined
  let previous = ''
  const push = (o: Outcome) => {
    queue.push(o)
    wake?.()
  }
  return {
    loaded: (set: PolicySet) => push({ kind: 'loaded', set }),
    rejected: (load: PolicyLoad) => push({ kind: 'rejected', load }),
    async next(kind: Outcome['kind']): Promise<Outcome> {
      for (;;) {
        const o = queue.shift() ?? (await new Promise<void>((resolve) => (wake = resolve)), queue.shift())
        if (!o) continue
        if (o.kind === kind) {
          previous = describeOutcome(o)
          return o
        }
        expect(describeOutcome(o), 'an outcome other than a repeat of the previous one').toBe(previous)
      }
    },
  }
}

const closers: Array<() => void> = []
afterEach(() => closers.splice(0).forEach((close) => close()))

const denies = (set: PolicySet, action: string) => set.evaluate(policyInput({ action })).denials.map((d) => d.id)

describe('watchPolicies', () => {
  it('hands over the new set when a policy file changes, and keeps the previous one on a broken edit', async () => {
    const dir = await policyDir({ 'guard.cedar': FORBID_SHELL })
    const seen = outcomes()
    closers.push(watchPolicies([dir], seen.loaded, { logger: silentTelemetry().logger, debounceMs: 20, onRejected: seen.rejected }))
    let current: PolicySet | undefined

    await writeFile(join(dir, 'guard.cedar'), FORBID_DROP)
    let outcome = await seen.next('loaded')
    if (outcome.kind === 'loaded') current = outcome.set
    expect(denies(current!, 'db.drop')).toEqual(['no-drop'])
    expect(denies(current!, 'shell.exec')).toEqual([])

    await writeFile(join(dir, 'guard.cedar'), `${FORBID_DROP}\nforbid (principal, action, resource) when { context.injeted_seen };`)
    // a set that does not validate is never handed over
    outcome = await seen.next('rejected')
    if (outcome.kind === 'rejected') {
      expect(outcome.load.errors.map((e) => [e.line, e.col, e.rule_id])).toEqual([[2, 45, 'guard.cedar#2']])
    }
    expect(denies(current!, 'db.drop')).toEqual(['no-drop'])

    // an editor's atomic save: written aside, renamed over
    await writeFile(join(dir, 'guard.cedar.tmp'), `${FORBID_SHELL}\n${FORBID_DROP}`)
    await rename(join(dir, 'guard.cedar.tmp'), join(dir, 'guard.cedar'))
    outcome = await seen.next('loaded')
    if (outcome.kind === 'loaded') expect(outcome.set.ids()).toEqual(['no-shell', 'no-drop'])
  })

  it('reloads when an inline test file changes, rejecting a test that names no policy', async () => {
    const dir = await policyDir({ 'guard.cedar': FORBID_SHELL })
    const seen = outcomes()
    closers.push(watchPolicies([dir], seen.loaded, { logger: silentTelemetry().logger, debounceMs: 20, onRejected: seen.rejected }))
    await writeFile(join(dir, 'guard.tests.yaml'), '- { name: t, input: { action: shell.exec }, expect: deny, policies: [no-shel] }\n')
    const outcome = await seen.next('rejected')
    if (outcome.kind === 'rejected') expect(outcome.load.errors[0].message).toBe('test "t": unknown policy id "no-shel"')
  })
})
