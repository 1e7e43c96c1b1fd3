/**
 * The folders of src/ depend on each other one way only (api ← auth ← chat, realtime ← rtc, …):
 * a folder that imports from another is never imported back, directly or through a third.
 */
import { describe, expect, it } from "vitest";

const sources = import.meta.glob<string>("./*/**/*.{ts,tsx}", {
  query: "?raw",
  import: "default",
  eager: true,
});

/** Folder → the folders it imports from (tests included; files at the root of src/ left out). */
function folderImports(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const [path, text] of Object.entries(sources)) {
    const folder = path.split("/")[1]!;
    const targets = graph.get(folder) ?? new Set<string>();
    graph.set(folder, targets);
    for (const [, target] of text.matchAll(/from "\.\.\/([^/"]+)\//g)) {
      if (target !== folder) targets.add(target!);
    }
  }
  return graph;
}

/** A path that leads from a folder back to itself, or null. */
function findCycle(graph: Map<string, Set<string>>): string[] | null {
  const done = new Set<string>();
  const visit = (folder: string, path: string[]): string[] | null => {
    if (path.includes(folder)) return [...path.slice(path.indexOf(folder)), folder];
    if (done.has(folder)) return null;
    for (const next of graph.get(folder) ?? []) {
      const cycle = visit(next, [...path, folder]);
      if (cycle) return cycle;
    }
    done.add(folder);
    return null;
  };
  for (const folder of graph.keys()) {
    const cycle = visit(folder, []);
    if (cycle) return cycle;
  }
  return null;
}

describe("folders of src/", () => {
  it("import each other without a cycle", () => {
    const graph = folderImports();
    expect(graph.get("chat")).toContain("realtime");
    expect(findCycle(graph)?.join(" → ") ?? null).toBeNull();
  });
});
