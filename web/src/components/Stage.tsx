/**
 * The stage: it measures itself and places its tiles with the layout module, so that they fit
 * whatever the window and the number of people (grid, speaker view, self-view of a call of two),
 * and tells how big each tile is shown (the call receives each camera in the size that fits).
 */
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import type { ReactNode } from "react";

import { placeTiles } from "../layout/layout";
import type { Size } from "../layout/layout";
import "./stage.css";

export interface StageItem {
  key: string;
  node: ReactNode;
}

export interface StageProps {
  items: readonly StageItem[];
  /** Speaker view: this item large, the others as thumbnails beside or below it. */
  featured: string | null;
  /** The self-view, small in the corner when the grid has two tiles. */
  pip: string | null;
  /** After each layout: the size each item is shown at (an item not placed is missing). */
  onTileSizes?: (sizes: ReadonlyMap<string, Size>) => void;
}

export function Stage({ items, featured, pip, onTileSizes }: StageProps) {
  const stage = useRef<HTMLElement>(null);
  const [size, setSize] = useState<Size>({ width: 0, height: 0 });
  useLayoutEffect(() => {
    const element = stage.current;
    if (!element) return;
    const measure = () => setSize({ width: element.clientWidth, height: element.clientHeight });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const rects = placeTiles(
    items.map((item) => item.key),
    size,
    featured,
    pip,
  );
  const speakerView = featured !== null && rects.has(featured);
  // After every render: the receiver keeps only what changes the layer it asks for.
  useEffect(() => onTileSizes?.(rects));
  return (
    <main
      ref={stage}
      className={`stage ${speakerView ? "speaker-view" : "grid-view"}`}
      data-count={items.length}
    >
      {items.map(({ key, node }) => {
        const rect = rects.get(key);
        const role = key === featured && speakerView ? "featured" : key === pip ? "pip" : "tile";
        return (
          <div
            key={key}
            className={`slot ${role}`}
            data-slot={role}
            style={rect && { left: rect.x, top: rect.y, width: rect.width, height: rect.height }}
          >
            {node}
          </div>
        );
      })}
    </main>
  );
}
