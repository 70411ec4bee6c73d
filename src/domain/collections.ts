/** Items grouped by a key (each group in the items' order), optionally mapped to a value. */
export function groupBy<T, K, V = T>(
  items: Iterable<T>,
  keyFor: (item: T) => K,
  valueFor: (item: T) => V = (item) => item as unknown as V,
): Map<K, V[]> {
  const groups = new Map<K, V[]>()
  for (const item of items) {
    const key = keyFor(item)
    const group = groups.get(key)
    if (group) group.push(valueFor(item))
    else groups.set(key, [valueFor(item)])
  }
  return groups
}
