/**
 * `privpath demo`'s engine: a simulated multi-tenant agent fleet recorded through @privpath/sdk
 * and exported with the real OTLP exporter to a running privpath. In: endpoint, keys, how many
 * normal tasks and how fast. Out: what was sent and which rule ids privpath should raise (and,
 * on request, whether it did). Not here: argument parsing (cli/commands/demo.ts).
 */
export { runDemo } from './demo.js'
export type { DemoReport } from './demo.js'
