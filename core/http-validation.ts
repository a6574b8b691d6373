/**
 * The validator of privpath's HTTP routes (query API, delivery). Fastify's default Ajv removes
 * properties a schema does not declare, so a misspelt filter would be dropped and the answer
 * silently unfiltered — or a misspelt `sink` in a redelivery would redeliver every sink's dead
 * letters; this one keeps them, so `additionalProperties: false` refuses them, whatever Ajv the
 * host server uses.
 */
import { Ajv, type ErrorObject } from 'ajv'
import type { FastifyInstance, FastifySchemaValidationError } from 'fastify'

export function strictValidation(scope: FastifyInstance): void {
  // Otherwise fastify's options: query strings coerced to the schema's types, defaults filled in.
  // `verbose` puts the schema in each error, for the names of the known parameters.
  const ajv = new Ajv({ removeAdditional: false, useDefaults: true, coerceTypes: 'array', allErrors: false, verbose: true })
  scope.setValidatorCompiler(({ schema }) => ajv.compile(schema))
  scope.setSchemaErrorFormatter(formatErrors)
}

/** As fastify words them (`querystring/limit must be >= 1`), except an unknown parameter or field, named with the known ones. */
function formatErrors(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const messages = (errors as ErrorObject[]).map((error) => {
    if (error.keyword === 'additionalProperties') {
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {})
      const what = dataVar === 'querystring' ? 'parameter' : 'field'
      return `${dataVar}${error.instancePath}/${error.params.additionalProperty}: unknown ${what} (expected one of ${known.join(', ')})`
    }
    return `${dataVar}${error.instancePath} ${error.message}`
  })
  return new Error(messages.join(', '))
}
