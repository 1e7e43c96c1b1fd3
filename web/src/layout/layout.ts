/**
 * Where the tiles of the stage go, as pure geometry: a grid whose tiles keep their aspect and
 * always fit the stage, the speaker view (a featured tile with thumbnails beside or below it),
 * and the small self-view of a two-person call. Every rectangle lies inside the stage and none
 * overlaps another (the self-view alone sits over the other tile's top-right corner).
 */

export interface Size {
  width: number;
  height: number;
}

export interface Rect extends Size {
  x: number;
  y: number;
}

/** Camera tiles are 4:3 (what cameras send unless asked otherwise). */
export const TILE_ASPECT = 4 / 3;
/** Space between tiles and around them, in CSS pixels. */
export const GAP = 8;
/** The thumbnails' strip takes at most this share of the stage's long side in speaker view. */
const STRIP_SHARE = 0.25;
/** The self-view of a two-person call: this share of the stage's width, at most this wide. */
const PIP_SHARE = 0.25;
const PIP_MAX_WIDTH = 240;

/** Columns and rows for `count` tiles of `aspect` in `area` that make the tiles largest. */
export function gridShape(count: number, area: Size, aspect: number, gap = GAP) {
  let best = { columns: 1, rows: Math.max(count, 1), width: 0, height: 0 };
  for (let columns = 1; columns <= Math.max(count, 1); columns++) {
    const rows = Math.ceil(count / columns);
    const cellWidth = (area.width - gap * (columns + 1)) / columns;
    const cellHeight = (area.height - gap * (rows + 1)) / rows;
    const width = Math.max(0, Math.min(cellWidth, cellHeight * aspect));
    if (width > best.width) best = { columns, rows, width, height: width / aspect };
  }
  return best;
}

/** `count` equal tiles in rows centred in `area` (the last row centred too). */
export function gridLayout(count: number, area: Rect, aspect = TILE_ASPECT, gap = GAP): Rect[] {
  if (count === 0) return [];
  const { columns, rows, width, height } = gridShape(count, area, aspect, gap);
  const top = area.y + (area.height - rows * height - (rows - 1) * gap) / 2;
  return Array.from({ length: count }, (_, index) => {
    const row = Math.floor(index / columns);
    const inRow = row === rows - 1 ? count - row * columns : columns;
    const left = area.x + (area.width - inRow * width - (inRow - 1) * gap) / 2;
    return {
      x: left + (index % columns) * (width + gap),
      y: top + row * (height + gap),
      width,
      height,
    };
  });
}

/**
 * Speaker view: the first rectangle is the featured tile, filling what the thumbnails leave;
 * the thumbnails sit in a strip beside it on a landscape stage, below it on a portrait one.
 */
export function speakerLayout(count: number, stage: Size, aspect = TILE_ASPECT, gap = GAP): Rect[] {
  const whole = { x: 0, y: 0, ...stage };
  if (count <= 1) return count === 0 ? [] : [inset(whole, gap)];
  const landscape = stage.width >= stage.height;
  const strip = landscape
    ? stripThickness(
        count - 1,
        { width: stage.width * STRIP_SHARE, height: stage.height },
        aspect,
        gap,
        "column",
      )
    : stripThickness(
        count - 1,
        { width: stage.width, height: stage.height * STRIP_SHARE },
        aspect,
        gap,
        "row",
      );
  const featured = landscape
    ? { x: gap, y: gap, width: stage.width - strip - 3 * gap, height: stage.height - 2 * gap }
    : { x: gap, y: gap, width: stage.width - 2 * gap, height: stage.height - strip - 3 * gap };
  const stripArea = landscape
    ? { x: stage.width - strip - 2 * gap, y: 0, width: strip + 2 * gap, height: stage.height }
    : { x: 0, y: stage.height - strip - 2 * gap, width: stage.width, height: strip + 2 * gap };
  return [featured, ...gridLayout(count - 1, stripArea, aspect, gap)];
}

/**
 * How thick the strip of `count` thumbnails in `area` (at most that thick) needs to be: a column
 * as wide as its tiles, a row as tall as its tiles.
 */
function stripThickness(
  count: number,
  area: Size,
  aspect: number,
  gap: number,
  direction: "column" | "row",
): number {
  const { columns, rows, width, height } = gridShape(count, area, aspect, gap);
  return direction === "column"
    ? columns * width + (columns - 1) * gap
    : rows * height + (rows - 1) * gap;
}

/** The self-view of a two-person call: small, in the stage's top-right corner. */
export function pipRect(stage: Size, aspect = TILE_ASPECT, gap = GAP): Rect {
  const width = Math.min(stage.width * PIP_SHARE, PIP_MAX_WIDTH);
  return { x: stage.width - width - 2 * gap, y: 2 * gap, width, height: width / aspect };
}

function inset(rect: Rect, by: number): Rect {
  return {
    x: rect.x + by,
    y: rect.y + by,
    width: Math.max(0, rect.width - 2 * by),
    height: Math.max(0, rect.height - 2 * by),
  };
}

/**
 * Where each tile goes: the speaker view when a tile is `featured` (it first, the others as
 * thumbnails), else the grid; in a grid of two, the `pip` tile (the self-view) is small in the
 * corner and the other takes the stage.
 */
export function placeTiles(
  keys: readonly string[],
  stage: Size,
  featured: string | null,
  pip: string | null,
): Map<string, Rect> {
  if (featured !== null && keys.includes(featured)) {
    const order = [featured, ...keys.filter((key) => key !== featured)];
    return placed(order, speakerLayout(order.length, stage));
  }
  const whole = { x: 0, y: 0, ...stage };
  if (pip !== null && keys.length === 2 && keys.includes(pip)) {
    return placed(
      [...keys.filter((key) => key !== pip), pip],
      [...gridLayout(1, whole), pipRect(stage)],
    );
  }
  return placed(keys, gridLayout(keys.length, whole));
}

function placed(keys: readonly string[], rects: readonly Rect[]): Map<string, Rect> {
  return new Map(
    rects.flatMap((rect, index) =>
      index < keys.length ? [[keys[index] as string, rect] as const] : [],
    ),
  );
}
