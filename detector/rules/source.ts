/**
 * Positions in rule files: maps a YAML node, or a character inside a JSONata expression held
 * by a YAML scalar (plain, quoted or block), to a 1-based line and column of the file.
 * Finds the node of a path of the rule's JSON value (a schema error's instance path).
 */
import { isMap, isNode, isScalar, isSeq, type LineCounter, type Node, type YAMLMap } from 'yaml'

export interface Position {
  line: number
  col: number
}

export function nodePosition(lines: LineCounter, node: Node | null | undefined): Position {
  const offset = node?.range?.[0] ?? 0
  return lines.linePos(offset)
}

/** `position` is jsonata's: 1-based index of the last character of the offending token. */
export function expressionPosition(
  lines: LineCounter,
  text: string,
  node: Node | null | undefined,
  position: number | undefined,
): Position {
  const start = nodePosition(lines, node)
  if (!node || !isScalar(node) || !node.range || position === undefined) return start
  const index = Math.max(0, position - 1)
  const [from, to] = node.range
  if (node.type === 'BLOCK_FOLDED' || node.type === 'BLOCK_LITERAL') {
    const raw = text.slice(from, to).split('\n').slice(1)
    const firstContent = raw.findIndex((l) => l.trim() !== '')
    if (firstContent < 0) return start
    const indent = raw[firstContent].length - raw[firstContent].trimStart().length
    let remaining = index
    for (let i = firstContent; i < raw.length; i++) {
      const content = raw[i].slice(indent)
      if (remaining <= content.length) return { line: start.line + 1 + i, col: indent + remaining + 1 }
      remaining -= content.length + 1
    }
    return start
  }
  const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? 1 : 0
  return lines.linePos(from + quoted + index)
}

/** A key of a JSON value's path: a mapping key or a list index. */
export type PathSegment = string | number

function pairAt(map: YAMLMap, key: PathSegment) {
  return map.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(key))
}

/** The node a path of the rule's JSON value names, or the deepest node on the way that exists. */
export function nodeAt(root: Node, path: readonly PathSegment[]): Node {
  let node = root
  for (const key of path) {
    const next = isMap(node) ? pairAt(node, key)?.value : isSeq(node) ? node.items[Number(key)] : undefined
    if (!isNode(next)) return node
    node = next
  }
  return node
}

/** The key node of `key` in the mapping at `path`, where "unknown field" points. */
export function keyNodeAt(root: Node, path: readonly PathSegment[], key: string): Node {
  const map = nodeAt(root, path)
  const keyNode = isMap(map) ? pairAt(map, key)?.key : undefined
  return isNode(keyNode) ? keyNode : map
}
