/**
 * The built-in console: a single-page app of plain ES modules (`public/`, no build step) and the
 * fastify plugin that serves it (`server/plugin.ts`) on the api role's port.
 * In: the browser's page loads. Out: the page shell for the console's routes and its static files,
 * with headers that keep the page self-contained. Data comes from the query API on the same origin.
 * Not here: any data of its own, or a build step.
 */
export { ASSET_PREFIX, consolePlugin, PAGE_ROUTES } from './server/plugin.js'
