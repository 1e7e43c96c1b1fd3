/** A sentence saying what went wrong, announced as it appears; nothing while there is none. */
import type { ReactNode } from "react";

export function ErrorAlert({ children }: { children: ReactNode }) {
  if (children === null || children === undefined || children === false || children === "") {
    return null;
  }
  return (
    <p className="error" role="alert">
      {children}
    </p>
  );
}
