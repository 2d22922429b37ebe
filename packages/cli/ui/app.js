// The `hookseal listen --ui` page. Everything shown comes from whoever sent a request, so the page
// only ever builds DOM nodes and sets their textContent: no markup is ever parsed from data.
'use strict'

const byId = (id) => document.getElementById(id)
const rows = new Map()
let history = 500
let selected
let current

/** A new element holding `text` as text. */
function element(tag, text, className) {
  const node = document.createElement(tag)
  if (text !== undefined) node.textContent = String(text)
  if (className !== undefined) node.className = className
  return node
}

function senderText(request) {
  if (request.sender === undefined) return '-'
  return request.senderVerified ? request.sender : `${request.sender} (claimed)`
}

function verdictText(request) {
  return request.valid ? 'valid' : (request.code ?? 'refused')
}

function addRow(request) {
  if (rows.has(request.id)) return
  const row = element('tr', undefined, request.valid ? 'valid' : 'invalid')
  row.dataset.id = String(request.id)
  row.tabIndex = 0
  const cells = [
    [new Date(request.at).toLocaleTimeString(), 'time'],
    [request.method, 'method'],
    [request.url, 'path'],
    [request.scheme, 'scheme'],
    [senderText(request), 'sender'],
    [verdictText(request), 'verdict'],
    [request.status, 'status'],
  ]
  for (const [text, className] of cells) row.append(element('td', text, className))
  row.addEventListener('click', () => select(request.id))
  row.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') select(request.id)
  })
  byId('requests').tBodies[0].prepend(row)
  rows.set(request.id, row)
  // The server keeps the last `history` requests; the list keeps no more.
  while (rows.size > history) {
    const oldest = Math.min(...rows.keys())
    rows.get(oldest).remove()
    rows.delete(oldest)
  }
  byId('empty').hidden = true
  byId('count').textContent = `${rows.size} request${rows.size === 1 ? '' : 's'} kept`
}

function relative(seconds) {
  const delta = Math.round(seconds - Date.now() / 1000)
  const abs = Math.abs(delta)
  const [size, unit] =
    abs >= 86400 ? [86400, 'd'] : abs >= 3600 ? [3600, 'h'] : abs >= 60 ? [60, 'min'] : [1, 's']
  const span = `${Math.floor(abs / size)} ${unit}`
  return delta <= 0 ? `${span} ago` : `in ${span}`
}

function showJson(id, value) {
  byId(id).textContent = value === undefined ? '(none)' : JSON.stringify(value, null, 2)
}

function showSteps(steps) {
  const list = byId('steps')
  list.replaceChildren()
  const marks = { pass: '✔', fail: '✘', skip: '·' }
  for (const step of steps) {
    const item = element('li', undefined, step.status)
    item.append(
      element('span', marks[step.status], 'mark'),
      element('span', step.step, 'step'),
      element('span', step.detail, 'reason'),
    )
    list.append(item)
  }
}

function showTimes(claims) {
  const table = byId('times')
  table.replaceChildren()
  for (const name of ['iat', 'nbf', 'exp']) {
    const value = claims?.[name]
    if (typeof value !== 'number') continue
    const row = element('tr')
    row.append(
      element('th', name),
      element('td', new Date(value * 1000).toLocaleString()),
      element('td', relative(value)),
    )
    table.append(row)
  }
}

function showHeaders(headers) {
  const table = byId('headers')
  table.replaceChildren()
  for (const [name, value] of headers) {
    const row = element('tr')
    row.append(element('th', name), element('td', value))
    table.append(row)
  }
}

function showActions(detail) {
  const unavailable = detail.unreproducible
  const curl = byId('copy-curl')
  curl.disabled = detail.curl.command === undefined
  curl.title = detail.curl.unavailable ?? ''
  const download = byId('download')
  if (unavailable === undefined) {
    download.href = `api/requests/${detail.id}/raw`
    download.removeAttribute('aria-disabled')
  } else {
    download.removeAttribute('href')
    download.setAttribute('aria-disabled', 'true')
  }
  download.title = unavailable ?? ''
  for (const id of ['replay-receiver', 'replay-to-url']) {
    byId(id).disabled = unavailable !== undefined
    byId(id).title = unavailable ?? ''
  }
  byId('replay-url').value = detail.replayUrl
  byId('curl').hidden = true
  byId('action-result').textContent =
    unavailable === undefined ? '' : `Cannot be sent again: ${unavailable}`
}

function render(detail) {
  const verdict = byId('verdict')
  verdict.className = detail.valid ? 'valid' : 'invalid'
  verdict.textContent = detail.valid
    ? `valid: ${detail.method} ${detail.url} from ${detail.sender} (${detail.status})`
    : `${detail.code} (${detail.status}): ${detail.message ?? ''}`
  showActions(detail)
  showSteps(detail.steps)
  showJson('token-header', detail.header)
  showTimes(detail.claims)
  showJson('claims', detail.claims)
  showHeaders(detail.headers)
  const size = detail.bodyBytes === undefined ? 'not received whole' : `${detail.bodyBytes} bytes`
  byId('body-note').textContent = detail.truncated
    ? `${detail.body.kind}, ${size}, truncated: the first ${detail.keptBytes} bytes are kept`
    : `${detail.body.kind}, ${size}`
  byId('body').textContent = detail.body.text
  byId('detail').hidden = false
}

async function select(id) {
  selected = id
  for (const [rowId, row] of rows) row.classList.toggle('selected', rowId === id)
  const response = await fetch(`api/requests/${id}`)
  const detail = await response.json()
  if (selected !== id) return
  if (!response.ok) {
    byId('action-result').textContent = `${detail.code}: ${detail.message}`
    return
  }
  current = detail
  render(detail)
}

async function copyCurl() {
  const command = current?.curl.command
  if (command === undefined) return
  const shown = byId('curl')
  shown.textContent = command
  shown.hidden = false
  try {
    await navigator.clipboard.writeText(command)
    byId('action-result').textContent = 'Copied the curl command.'
  } catch {
    byId('action-result').textContent = 'Select the command below and copy it.'
  }
}

async function replay(url) {
  if (current === undefined) return
  const result = byId('action-result')
  result.textContent = 'Replaying…'
  const response = await fetch(`api/requests/${current.id}/replay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(url === undefined ? {} : { url }),
  })
  const answer = await response.json()
  result.textContent = response.ok
    ? `Replayed to ${answer.url}: ${answer.status} ${answer.body}`
    : `Replay refused: ${answer.code}: ${answer.message}`
}

function connect() {
  const events = new EventSource('events')
  const state = byId('connection')
  events.addEventListener('open', () => {
    state.textContent = 'live'
    state.className = 'connection live'
  })
  events.addEventListener('error', () => {
    state.textContent = 'reconnecting…'
    state.className = 'connection'
  })
  events.addEventListener('hello', (event) => {
    const hello = JSON.parse(event.data)
    history = hello.history
    byId('receiver').textContent = hello.receiver
  })
  events.addEventListener('request', (event) => addRow(JSON.parse(event.data)))
}

byId('copy-curl').addEventListener('click', copyCurl)
byId('replay-receiver').addEventListener('click', () => replay(undefined))
byId('replay-form').addEventListener('submit', (event) => {
  event.preventDefault()
  replay(byId('replay-url').value)
})
connect()
