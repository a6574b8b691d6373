/**
 * A map that remembers which key was set least recently, for the state stores' caps. Setting a
 * key moves it to the most recent end without deleting it from the map: a Map re-insert per
 * event (delete + set) makes V8 rehash the table over and over, and that garbage dominated.
 */
interface Node<V> {
  key: string
  value: V
  /** A number the owner keeps with the entry (the task store's domain time of last activity). */
  mark: number
  older: Node<V> | undefined
  newer: Node<V> | undefined
}

export class LruMap<V> {
  private readonly nodes = new Map<string, Node<V>>()
  private oldestNode: Node<V> | undefined
  private newestNode: Node<V> | undefined

  get size(): number {
    return this.nodes.size
  }

  get(key: string): V | undefined {
    return this.nodes.get(key)?.value
  }

  has(key: string): boolean {
    return this.nodes.has(key)
  }

  /** The mark stored with the key by `set`, NaN when absent. */
  markOf(key: string): number {
    return this.nodes.get(key)?.mark ?? Number.NaN
  }

  /** Stores the value (and its mark) as the most recently set; true when the key is new. */
  set(key: string, value: V, mark = 0): boolean {
    let node = this.nodes.get(key)
    const created = node === undefined
    if (node) {
      node.value = value
      node.mark = mark
      if (node === this.newestNode) return false
      this.unlink(node)
    } else {
      node = { key, value, mark, older: undefined, newer: undefined }
      this.nodes.set(key, node)
    }
    node.older = this.newestNode
    if (this.newestNode) this.newestNode.newer = node
    this.newestNode = node
    this.oldestNode ??= node
    return created
  }

  delete(key: string): boolean {
    const node = this.nodes.get(key)
    if (!node) return false
    this.nodes.delete(key)
    this.unlink(node)
    return true
  }

  /** The least recently set entry. */
  oldest(): [string, V] | undefined {
    const node = this.oldestNode
    return node ? [node.key, node.value] : undefined
  }

  /** Makes the order that of the marks, least first (ties keep their order). */
  sortByMark(): void {
    const nodes: Array<Node<V>> = []
    for (let node = this.oldestNode; node; node = node.newer) nodes.push(node)
    nodes.sort((a, b) => a.mark - b.mark)
    this.oldestNode = nodes[0]
    this.newestNode = nodes.at(-1)
    for (let i = 0; i < nodes.length; i++) {
      nodes[i].older = nodes[i - 1]
      nodes[i].newer = nodes[i + 1]
    }
  }

  /** Oldest first. */
  *values(): IterableIterator<V> {
    for (let node = this.oldestNode; node; node = node.newer) yield node.value
  }

  private unlink(node: Node<V>): void {
    if (node.older) node.older.newer = node.newer
    else this.oldestNode = node.newer
    if (node.newer) node.newer.older = node.older
    else this.newestNode = node.older
    node.older = undefined
    node.newer = undefined
  }
}
