/**
 * The roles registry: every role a process can run, in the order they start. Consumers start
 * before the roles that feed them, because the in-process bus delivers only to groups already
 * subscribed: the writer and delivery before the detector, all of them before the collector.
 */
import type { Role } from '../../core/config/schema.js'
import type { StartRole } from '../role.js'
import { startApiRole } from './api.js'
import { startCollectorRole } from './collector.js'
import { startDeliveryRole } from './delivery.js'
import { startDetectorRole } from './detector.js'
import { startWriterRole } from './writer.js'

export const ROLE_REGISTRY: ReadonlyArray<{ role: Role; start: StartRole }> = [
  { role: 'writer', start: startWriterRole },
  { role: 'delivery', start: startDeliveryRole },
  { role: 'detector', start: startDetectorRole },
  { role: 'collector', start: startCollectorRole },
  { role: 'api', start: startApiRole },
]

/** The writer and the api use the store; a detector beside them also reads its history. */
export function rolesNeedingStore(roles: ReadonlySet<Role>): boolean {
  return roles.has('writer') || roles.has('api')
}
