/**
 * Cedar policies at the decision endpoint of a running privpath: the example set is loaded from
 * `decision.policies_dir`, a policy's deny denies with its id and reason, and an edit on disk is
 * in force for the next decision (hot reload).
 */
import { cp, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../testkit/app.js'
import { evaluation, postJson } from '../../testkit/decision.js'
import { waitFor } from '../../testkit/wait.js'

let t: TestApp
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'privpath-policies-'))
  await cp('examples/policies/payments.cedar', join(dir, 'payments.cedar'))
  t = await startTestApp({ roles: ['collector', 'detector'], decision: { policies_dir: dir } })
})
afterAll(async () => {
  await t?.app.stop()
})

const ask = (tool: string, credentialId?: string) => postJson(`${t.app.url}/access/v1/evaluation`, evaluation({ tool, taskId: 'pay-1', credentialId }))

describe('Cedar policies at the decision endpoint', () => {
  it('a forbid that applies denies, with the policy id and reason', async () => {
    const res = await ask('payments.transfer')
    expect(res.body.decision).toBe(false)
    expect(res.body.context.reason_admin.policies).toEqual(
      expect.arrayContaining([{ id: 'payments-need-a-live-credential', mode: 'enforce', reason: 'a payment without a live credential with at least 30 s left' }]),
    )
    expect(res.body.context.reason_admin.rules).toEqual([])
    expect((await ask('search_docs')).body.decision).toBe(true)
  })

  it('an edit of the policy files is in force for the next decision', async () => {
    await writeFile(join(dir, 'search.cedar'), '@id("no-search")\n@reason("search is off today")\nforbid (principal, action == Action::"search_docs", resource);\n')
    await waitFor(async () => (await ask('search_docs')).body.decision === false)
    const res = await ask('search_docs')
    expect(res.body.context.reason_admin.policies).toEqual([{ id: 'no-search', mode: 'enforce', reason: 'search is off today' }])
  })

  it('refuses to start on policies that do not validate, naming the file and position', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'privpath-bad-policies-'))
    await writeFile(join(bad, 'broken.cedar'), 'forbid (principal, action, resource)\nwhen { context.injeted_seen };\n')
    await expect(startTestApp({ roles: ['detector'], decision: { policies_dir: bad } })).rejects.toThrow(/decision\.policies_dir: .*broken\.cedar:2:\d+/s)
  })
})
