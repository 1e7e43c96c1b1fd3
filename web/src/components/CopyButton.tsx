import { useState } from "react";

/** Copies text to the clipboard and says so. `label` begins with the visible "Copy link". */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      window.prompt("Copy this link", text);
    }
  };
  return (
    <button type="button" onClick={() => void copy()} aria-label={copied ? "Copied" : label}>
      {copied ? "Copied" : "Copy link"}
    </button>
  );
}
