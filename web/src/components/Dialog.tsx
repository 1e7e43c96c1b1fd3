/**
 * A modal dialog: named by its title, focus moved into it and given back to what had it on close,
 * Escape or the backdrop closes it. `alertdialog` for a question that needs an answer.
 */
import { useEffect, useId, useRef } from "react";
import type { ReactNode } from "react";

export function Dialog({
  title,
  onClose,
  role = "dialog",
  children,
}: {
  title: string;
  onClose: () => void;
  role?: "dialog" | "alertdialog";
  children: ReactNode;
}) {
  const titleId = useId();
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    box.current?.querySelector<HTMLElement>("input, select, textarea, button")?.focus();
    return () => opener?.focus();
  }, []);

  return (
    <div
      className="dialog-backdrop"
      onMouseDown={(event) => {
        if (event.target === event.currentTarget) onClose();
      }}
    >
      <div
        ref={box}
        role={role}
        aria-modal="true"
        aria-labelledby={titleId}
        className="card dialog"
        onKeyDown={(event) => {
          if (event.key === "Escape") onClose();
        }}
      >
        <h2 id={titleId}>{title}</h2>
        {children}
      </div>
    </div>
  );
}
