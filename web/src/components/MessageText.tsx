/** A chat message's text as React nodes: http(s) links open in a new tab; nothing is HTML. */
import { splitLinks } from "../chat/format";

export function MessageText({ text }: { text: string }) {
  return (
    <span className="text">
      {splitLinks(text).map((part, index) =>
        part.href === undefined ? (
          part.text
        ) : (
          <a key={index} href={part.href} target="_blank" rel="noopener noreferrer">
            {part.text}
          </a>
        ),
      )}
    </span>
  );
}
