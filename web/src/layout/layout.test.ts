import { describe, expect, it } from "vitest";

import { gridLayout, gridShape, pipRect, placeTiles, speakerLayout, TILE_ASPECT } from "./layout";
import type { Rect, Size } from "./layout";

const SIZES: Size[] = [
  { width: 1440, height: 760 },
  { width: 1280, height: 580 },
  { width: 390, height: 640 },
  { width: 390, height: 200 },
  { width: 120, height: 90 },
];

function inside(rect: Rect, stage: Size): boolean {
  const eps = 1e-6;
  return (
    rect.x >= -eps &&
    rect.y >= -eps &&
    rect.x + rect.width <= stage.width + eps &&
    rect.y + rect.height <= stage.height + eps
  );
}

function overlap(a: Rect, b: Rect): boolean {
  const eps = 1e-6;
  return (
    a.x + a.width > b.x + eps &&
    b.x + b.width > a.x + eps &&
    a.y + a.height > b.y + eps &&
    b.y + b.height > a.y + eps
  );
}

function checkFits(rects: Rect[], stage: Size) {
  for (const rect of rects) {
    expect(inside(rect, stage), JSON.stringify({ rect, stage })).toBe(true);
    expect(rect.width).toBeGreaterThan(0);
  }
  for (const [i, a] of rects.entries())
    for (const b of rects.slice(i + 1)) expect(overlap(a, b), JSON.stringify({ a, b })).toBe(false);
}

describe("gridLayout", () => {
  it.each(SIZES)("fits 1 to 12 tiles without overlap in %o", (stage) => {
    for (let count = 1; count <= 12; count++) {
      const rects = gridLayout(count, { x: 0, y: 0, ...stage });
      expect(rects).toHaveLength(count);
      checkFits(rects, stage);
      for (const rect of rects) expect(rect.width / rect.height).toBeCloseTo(TILE_ASPECT);
    }
  });

  it("picks the shape that makes tiles largest", () => {
    expect(gridShape(4, { width: 1440, height: 760 }, TILE_ASPECT)).toMatchObject({
      columns: 2,
      rows: 2,
    });
    expect(gridShape(3, { width: 1440, height: 400 }, TILE_ASPECT)).toMatchObject({
      columns: 3,
      rows: 1,
    });
    expect(gridShape(3, { width: 390, height: 640 }, TILE_ASPECT)).toMatchObject({
      columns: 1,
      rows: 3,
    });
  });

  it("one tile takes the stage's height on a wide stage, centred", () => {
    const [tile] = gridLayout(1, { x: 0, y: 0, width: 1440, height: 760 });
    expect(tile?.height).toBeCloseTo(760 - 16);
    expect((tile?.x ?? 0) * 2 + (tile?.width ?? 0)).toBeCloseTo(1440);
  });
});

describe("speakerLayout", () => {
  it.each(SIZES)("fits the featured tile and 0 to 8 thumbnails without overlap in %o", (stage) => {
    for (let count = 1; count <= 9; count++) {
      const rects = speakerLayout(count, stage);
      expect(rects).toHaveLength(count);
      checkFits(rects, stage);
    }
  });

  it("puts thumbnails beside the featured tile on a landscape stage", () => {
    const [featured, ...thumbnails] = speakerLayout(4, { width: 1440, height: 760 });
    for (const thumb of thumbnails) expect(thumb.x).toBeGreaterThan(featured!.x + featured!.width);
    expect(featured!.width).toBeGreaterThan(1440 * 0.7);
  });

  it("puts thumbnails below the featured tile on a portrait stage", () => {
    const [featured, ...thumbnails] = speakerLayout(4, { width: 390, height: 640 });
    for (const thumb of thumbnails) expect(thumb.y).toBeGreaterThan(featured!.y + featured!.height);
    expect(featured!.height).toBeGreaterThan(640 * 0.7);
  });
});

describe("pipRect", () => {
  it("is small and in the top-right corner", () => {
    const stage = { width: 1440, height: 760 };
    const pip = pipRect(stage);
    expect(inside(pip, stage)).toBe(true);
    expect(pip.width).toBeLessThanOrEqual(240);
    expect(pip.x).toBeGreaterThan(stage.width / 2);
    expect(pip.y).toBeLessThan(stage.height / 4);
  });
});

describe("placeTiles", () => {
  const stage = { width: 1280, height: 580 };

  it("features the chosen tile first, the others beside it", () => {
    const rects = placeTiles(["me", "ann", "screen:ann"], stage, "screen:ann", null);
    const featured = rects.get("screen:ann")!;
    expect(featured.width).toBeGreaterThan(stage.width * 0.7);
    expect(rects.get("me")!.x).toBeGreaterThan(featured.x + featured.width);
    checkFits([...rects.values()], stage);
  });

  it("shows the self-view small in a call of two, the other on the whole stage", () => {
    const rects = placeTiles(["me", "ann"], stage, null, "me");
    expect(rects.get("ann")!.height).toBeCloseTo(stage.height - 16);
    expect(rects.get("me")).toEqual(pipRect(stage));
  });

  it("uses the grid otherwise (the self-view is a tile like the others with three people)", () => {
    const rects = placeTiles(["me", "ann", "bob"], stage, null, "me");
    checkFits([...rects.values()], stage);
    expect(new Set([...rects.values()].map((r) => r.width)).size).toBe(1);
  });
});
