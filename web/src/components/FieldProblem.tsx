/** The server's word on one refused form field (`validation_error`), shown under the field. */
import type { InputHTMLAttributes } from "react";

/** An input's link to its problem, when the server named one. */
export function describedBy(
  problems: Readonly<Record<string, string>>,
  field: string,
): InputHTMLAttributes<HTMLInputElement> {
  return problems[field] === undefined
    ? {}
    : { "aria-invalid": true, "aria-describedby": `${field}-problem` };
}

export function FieldProblem({
  problems,
  field,
}: {
  problems: Readonly<Record<string, string>>;
  field: string;
}) {
  const problem = problems[field];
  if (problem === undefined) return null;
  return (
    <span className="error" id={`${field}-problem`}>
      {problem}
    </span>
  );
}
