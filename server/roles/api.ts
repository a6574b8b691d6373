/** The api role: the query API over the store, scoped by tenant key, and the built-in console. */
import { queryApi } from '../../api/index.js'
import { consolePlugin } from '../../console/index.js'
import { PrivpathError } from '../../core/errors.js'
import type { StartRole } from '../role.js'
import { storeQueries } from '../store-queries.js'

export const startApiRole: StartRole = async ({ config, auth, store }) => {
  if (!store) throw new PrivpathError('PP_ERR_CONFIG_INVALID', 'the api role needs the store')
  const api = queryApi({ queries: storeQueries(store.client, config.store.database), auth })
  const console = consolePlugin()
  return {
    plugin: async (app) => {
      await app.register(api)
      await app.register(console)
    },
    stop: async () => undefined,
  }
}
