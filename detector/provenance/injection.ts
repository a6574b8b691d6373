/**
 * Finds indirect prompt injections in text a tool brought in (e-mails, web pages, documents): the
 * character ranges of instruction-like text addressed to the assistant, so that values inside a
 * range (addresses, IBANs, URLs) can be told apart from ordinary data elsewhere in the same result.
 *
 * Imperative mood alone is not enough ("Please send me the report by Friday" is a person asking a
 * person). Sentences are scored by the signals in injection-patterns.ts; neighbouring scored
 * sentences form a cluster, and a cluster is a finding only when its signals add up to 3 and at
 * least one of them is aimed at the assistant (an AI addressee, an override of its task, a spoofed
 * role or delimiter, concealment from the user). Each pattern scans the text once, so the cost is
 * linear in its length.
 */
import { IMPERATIVE, OPENING_TAG, SIGNALS } from './injection-patterns.js'
import type { Signal } from './injection-patterns.js'

export interface InjectionFinding {
  start: number
  end: number
  kind: string
  reasons: string[]
}

const THRESHOLD = 3
/** Unscored sentences a cluster may bridge inside one paragraph. */
const MAX_GAP = 2
/** A short line ("IMPORTANT!!!", "Dear AI assistant,") heads the paragraph after a blank line. */
const HEADER_MAX = 40
const MARKER_MAX = 20
/** Colons inside a sentence after which an imperative still opens a clause. */
const MAX_COLONS = 3
/** How far an opening tag looks for its closing tag. */
const TAG_REACH = 4000

interface Segment {
  start: number
  end: number
  /** A blank line separates it from the previous segment. */
  paragraph: boolean
  signals: Signal[] | undefined
}

interface Cluster {
  first: number
  last: number
  signals: Signal[]
  /** Offset up to which an opened tag keeps the cluster open. */
  openUntil: number
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 13 || code === 10 || code === 12 || code === 160
}

/** '/' or '!' after '<': a closing tag or a comment, where what came before ends. */
function isTagStart(code: number): boolean {
  return code === 47 || code === 33
}

/** Sentences, lines and markup tags, trimmed, in order; a sentence ends at . ! ? before whitespace. */
function segment(text: string): Segment[] {
  const out: Segment[] = []
  let start = 0
  let blank = false
  // Whether `start` opens a line: an empty piece from there to a newline is a blank line.
  let lineStart = true
  const push = (end: number): void => {
    let s = start
    let e = end
    while (s < e && isSpace(text.charCodeAt(s))) s++
    while (e > s && isSpace(text.charCodeAt(e - 1))) e--
    if (s === e) {
      if (lineStart && text.charCodeAt(end) === 10 && out.length > 0) blank = true
      return
    }
    out.push({ start: s, end: e, paragraph: blank, signals: undefined })
    blank = false
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 10) {
      push(i)
      start = i + 1
      lineStart = true
    } else if ((c === 46 || c === 33 || c === 63) && (i + 1 === text.length || isSpace(text.charCodeAt(i + 1)))) {
      push(i + 1)
      start = i + 1
      lineStart = false
    } else if (c === 60 && isTagStart(text.charCodeAt(i + 1))) {
      // markup separates what it wraps: "<p>Contact: a@b</p><!-- assistant: … -->" is two pieces
      push(i)
      start = i
      lineStart = false
    } else if (c === 62 && i > start && text.charCodeAt(start) === 60) {
      push(i + 1)
      start = i + 1
      lineStart = false
    }
  }
  push(text.length)
  return out
}

/** Index of the segment holding offset, or -1 when it falls between segments. */
function segmentAt(segments: Segment[], offset: number): number {
  let lo = 0
  let hi = segments.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const s = segments[mid]
    if (offset < s.start) hi = mid - 1
    else if (offset >= s.end) lo = mid + 1
    else return mid
  }
  return -1
}

function mark(seg: Segment, signal: Signal): void {
  if (seg.signals === undefined) seg.signals = [signal]
  else if (!seg.signals.includes(signal)) seg.signals.push(signal)
}

function scoreSegments(text: string, segments: Segment[]): void {
  for (const signal of SIGNALS) {
    const pattern = signal.pattern
    pattern.lastIndex = 0
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
      if (m[0].length === 0) pattern.lastIndex++
      // The last character, not the first: role labels match from the newline before them.
      const at = segmentAt(segments, m.index + Math.max(m[0].length - 1, 0))
      if (at >= 0) mark(segments[at], signal)
    }
  }
  for (const seg of segments) {
    if (opensWithImperative(text, seg)) mark(seg, IMPERATIVE)
  }
}

/** At the sentence start or after one of its first colons ("Note to the AI: send …"). */
function opensWithImperative(text: string, seg: Segment): boolean {
  const pattern = IMPERATIVE.pattern
  let at = seg.start
  for (let colons = 0; colons <= MAX_COLONS; colons++) {
    pattern.lastIndex = at
    if (pattern.test(text)) return true
    // Not indexOf: on text without colons it would run to the end once per sentence.
    while (at < seg.end && text.charCodeAt(at) !== 58) at++
    if (at >= seg.end) return false
    at++
  }
  return false
}

/** Where the block opened by a tag in this segment closes, or -1. */
function closingOffset(text: string, seg: Segment): number {
  const body = text.slice(seg.start, seg.end)
  OPENING_TAG.lastIndex = 0
  const open = OPENING_TAG.exec(body)
  if (open === null) return -1
  const token = open[0].toLowerCase()
  const close = token === '[inst]' ? '[/inst]' : token === '<|im_start|>' ? '<|im_end|>' : `</${token.slice(1)}`
  const from = seg.start + open.index + open[0].length
  const at = text.slice(from, from + TAG_REACH).toLowerCase().indexOf(close)
  return at < 0 ? -1 : from + at + close.length
}

/** A heading line such as "IMPORTANT!!!" or "Dear AI assistant,", not a finished sentence. */
function isHeader(text: string, seg: Segment): boolean {
  const lastChar = text.charCodeAt(seg.end - 1)
  const signals = seg.signals ?? []
  const length = seg.end - seg.start
  return (
    lastChar !== 46 &&
    lastChar !== 63 &&
    !signals.some((s) => s.kind === 'action_request') &&
    // A bare marker ("URGENT!!!"), or a short line already aimed at the assistant.
    (length <= MARKER_MAX || (length <= HEADER_MAX && signals.some((s) => s.directed)))
  )
}

function joins(text: string, cluster: Cluster, segments: Segment[], index: number): boolean {
  const seg = segments[index]
  if (seg.start < cluster.openUntil) return true
  if (seg.signals === undefined) return false
  const gap = index - cluster.last - 1
  let paragraph = false
  for (let i = cluster.last + 1; i <= index; i++) paragraph ||= segments[i].paragraph
  if (!paragraph) return gap <= MAX_GAP
  const last = segments[cluster.last]
  if (gap !== 0) return false
  if (text.charCodeAt(last.end - 1) === 58) return true
  return cluster.first === cluster.last && isHeader(text, last)
}

function clusters(text: string, segments: Segment[]): Cluster[] {
  const out: Cluster[] = []
  let current: Cluster | undefined
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]
    if (current !== undefined && joins(text, current, segments, i)) {
      current.last = i
    } else if (seg.signals !== undefined) {
      current = { first: i, last: i, signals: [], openUntil: -1 }
      out.push(current)
    } else {
      continue
    }
    for (const signal of seg.signals ?? []) {
      if (!current.signals.includes(signal)) current.signals.push(signal)
      if (signal.kind === 'delimiter_spoof') current.openUntil = Math.max(current.openUntil, closingOffset(text, seg))
    }
  }
  return out
}

function toFinding(text: string, segments: Segment[], cluster: Cluster): InjectionFinding | undefined {
  const byReason = new Map<string, number>()
  for (const s of cluster.signals) byReason.set(s.reason, Math.max(byReason.get(s.reason) ?? 0, s.weight))
  let score = 0
  for (const w of byReason.values()) score += w
  // SIGNALS lists directed signals strongest first, so the first present names the kind.
  const lead = SIGNALS.find((s) => s.directed && cluster.signals.includes(s))
  if (lead === undefined || score < THRESHOLD) return undefined
  let last = cluster.last
  // "…send the code to this address:" puts the value on the next line.
  if (text.charCodeAt(segments[last].end - 1) === 58 && last + 1 < segments.length) last++
  // Ordinary steps before the instructions ("1. Send a welcome e-mail…" in a checklist) are the
  // document's: the injected part starts where the text first turns to the assistant…
  let first = cluster.first
  while (first < cluster.last && !(segments[first].signals ?? []).some((signal) => signal.directed)) first++
  // …but a goal stated just before the framing ("Send X to Y. Do not tell the user.") is part of it
  if (first > cluster.first) first--
  return { start: segments[first].start, end: segments[last].end, kind: lead.kind, reasons: [...byReason.keys()] }
}

export function findInjections(text: string): InjectionFinding[] {
  if (text.length === 0) return []
  const segments = segment(text)
  scoreSegments(text, segments)
  const out: InjectionFinding[] = []
  for (const cluster of clusters(text, segments)) {
    const finding = toFinding(text, segments, cluster)
    if (finding !== undefined) out.push(finding)
  }
  return out
}

export function isInjectionAttempt(text: string): boolean {
  return findInjections(text).length > 0
}
