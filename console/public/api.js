// The query API on this origin. The API key (when the server has tenant keys on) is asked for
// on a 401 and kept in sessionStorage: it lives as long as the tab, never in a cookie or on disk.
const KEY = 'privpath.apiKey'

export class AuthRequired extends Error {}

export const apiKey = {
  get: () => sessionStorage.getItem(KEY) ?? '',
  set: (value) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
}

export async function getJson(path, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== ''))
  const url = query.size > 0 ? `${path}?${query}` : path
  const key = apiKey.get()
  const response = await fetch(url, { headers: key ? { authorization: `Bearer ${key}` } : {} })
  const body = await response.json().catch(() => ({}))
  if (response.status === 401) throw new AuthRequired(body.message ?? 'an API key is required')
  if (!response.ok) throw new Error(`${response.status} ${body.code ?? ''}: ${body.message ?? response.statusText}`)
  return body
}
