/** Every schema step, in the order they apply. A new step gets the next version; applied ones never change. */
import { migration as events } from './001_events.js'
import { migration as taskSummary } from './002_task_summary.js'
import { migration as credentials } from './003_credentials.js'
import { migration as alerts } from './004_alerts.js'
import { migration as rules } from './005_rules.js'
import { migration as eventDomain } from './006_event_domain.js'
import { migration as toolResults } from './007_tool_results.js'
import { migration as alertCategory } from './008_alert_category.js'
import { migration as taskListing } from './009_task_listing.js'
import { migration as firstSeen } from './010_first_seen.js'
import type { Migration } from './migration.js'

export type { Migration }
export const MIGRATIONS: readonly Migration[] = [events, taskSummary, credentials, alerts, rules, eventDomain, toolResults, alertCategory, taskListing, firstSeen]
