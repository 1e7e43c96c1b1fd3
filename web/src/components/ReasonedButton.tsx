/** A button that, when it cannot be used, says why: on hover (title) and to screen readers. */
import { useId } from "react";
import type { ButtonHTMLAttributes } from "react";

export function ReasonedButton({
  disabledReason,
  children,
  "aria-describedby": describedBy,
  ...props
}: ButtonHTMLAttributes<HTMLButtonElement> & {
  /** Why the button is disabled; none: it is enabled. */
  disabledReason: string | undefined;
}) {
  const reasonId = useId();
  const disabled = disabledReason !== undefined;
  return (
    <>
      <button
        type="button"
        {...props}
        disabled={disabled}
        title={disabledReason}
        aria-describedby={
          [describedBy, disabled ? reasonId : undefined].filter(Boolean).join(" ") || undefined
        }
      >
        {children}
      </button>
      {disabled && (
        <span id={reasonId} hidden>
          {disabledReason}
        </span>
      )}
    </>
  );
}
