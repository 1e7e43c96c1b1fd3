/** A list whose items go away on their own after a while (notices, floating reactions). */
export class Ephemeral<T> {
  private current: readonly (T & { id: number })[] = [];
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private nextId = 0;
  private readonly lifetimeMs: number;
  private readonly changed: () => void;

  constructor(lifetimeMs: number, changed: () => void) {
    this.lifetimeMs = lifetimeMs;
    this.changed = changed;
  }

  get items(): readonly (T & { id: number })[] {
    return this.current;
  }

  add(item: T): void {
    const added = { ...item, id: ++this.nextId };
    this.current = [...this.current, added];
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.current = this.current.filter((i) => i !== added);
      this.changed();
    }, this.lifetimeMs);
    this.timers.add(timer);
    this.changed();
  }

  /** Drop every item and timer. */
  clear(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.current = [];
  }
}
