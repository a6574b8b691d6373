// The console shell: client-side routes (/, /tasks/<id>, /alerts, /rules), the API key prompt
// on 401, and error display. Pages render into <main>.
import { AuthRequired, apiKey } from './api.js'
import { h } from './dom.js'
import { alertsPage, rulesPage, tasksPage } from './pages.js'
import { taskPage } from './task.js'

const main = document.getElementById('main')

function route(url) {
  const path = url.pathname
  if (path.startsWith('/tasks/')) return { nav: 'tasks', render: () => taskPage(decodeURIComponent(path.slice('/tasks/'.length)), url.searchParams, navigate) }
  if (path === '/alerts') return { nav: 'alerts', render: () => alertsPage(url.searchParams, navigate) }
  if (path === '/rules') return { nav: 'rules', render: () => rulesPage() }
  return { nav: 'tasks', render: () => tasksPage(url.searchParams, navigate) }
}

let rendering = 0

async function render() {
  const current = ++rendering
  const url = new URL(location.href)
  const { nav, render: page } = route(url)
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === nav) link.setAttribute('aria-current', 'page')
    else link.removeAttribute('aria-current')
  }
  showKeyState()
  main.setAttribute('aria-busy', 'true')
  try {
    const content = await page()
    if (current !== rendering) return
    main.replaceChildren(content)
  } catch (error) {
    if (current !== rendering) return
    main.replaceChildren(error instanceof AuthRequired ? keyForm(error.message) : h('p', { class: 'error', role: 'alert' }, `Could not load this page: ${error.message}`))
  } finally {
    if (current === rendering) main.removeAttribute('aria-busy')
  }
}

export function navigate(href) {
  history.pushState(null, '', href)
  void render()
}

function keyForm(reason) {
  const input = h('input', { type: 'password', id: 'api-key', name: 'api-key', autocomplete: 'off', required: true, size: 40 })
  const form = h('form', { class: 'key-form', onsubmit: (event) => {
    event.preventDefault()
    apiKey.set(input.value.trim())
    void render()
  } },
    h('h1', {}, 'API key needed'),
    h('p', {}, 'This privpath answers only to tenant keys. Paste your key: it is kept for this browser tab only (sessionStorage) and sent as ', h('code', {}, 'Authorization: Bearer'), '.'),
    apiKey.get() ? h('p', { class: 'error', role: 'alert' }, `The key was refused: ${reason}`) : null,
    h('label', { for: 'api-key' }, 'API key '), input, ' ', h('button', { type: 'submit' }, 'Use key'),
  )
  queueMicrotask(() => input.focus())
  return form
}

function showKeyState() {
  const slot = document.getElementById('key-state')
  slot.replaceChildren(apiKey.get() ? h('button', { type: 'button', class: 'link', onclick: () => (apiKey.clear(), render()) }, 'Forget API key') : '')
}

document.addEventListener('click', (event) => {
  const link = event.target.closest?.('a[data-link]')
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
  event.preventDefault()
  navigate(link.getAttribute('href'))
})
window.addEventListener('popstate', () => void render())
void render()
