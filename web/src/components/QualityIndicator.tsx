/**
 * A link's quality as signal bars (good / fair / poor), with the figures behind it shown on hover
 * or keyboard focus and read by screen readers.
 */
import type { LinkQuality, QualityLevel } from "../rtc/linkStats";

const LEVEL_TEXT: Record<QualityLevel, string> = { good: "good", fair: "fair", poor: "poor" };

export function QualityIndicator({ quality, whose }: { quality: LinkQuality; whose: string }) {
  const label = `${whose} connection is ${LEVEL_TEXT[quality.level]}. ${quality.explanation}`;
  return (
    <span
      className={`quality ${quality.level}`}
      data-quality={quality.level}
      tabIndex={0}
      role="img"
      aria-label={label}
    >
      <span className="bars" aria-hidden="true">
        <i />
        <i />
        <i />
      </span>
      <span className="tip" aria-hidden="true">
        {quality.explanation}
      </span>
    </span>
  );
}
