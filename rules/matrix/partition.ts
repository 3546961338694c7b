// Items split by a key: the part each one is in (numbered in order of first appearance) and each part's members.
export function partition<T>(items: readonly T[], key: (item: T, i: number) => string): { partOf: number[]; members: number[][] } {
  const ids = new Map<string, number>();
  const members: number[][] = [];
  const partOf = items.map((item, i) => {
    const k = key(item, i);
    let id = ids.get(k);
    if (id === undefined) {
      ids.set(k, (id = members.length));
      members.push([]);
    }
    (members[id] as number[]).push(i);
    return id;
  });
  return { partOf, members };
}
