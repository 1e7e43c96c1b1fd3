/** Before joining: "Check my connection" runs the connectivity check and says what it found. */
import { useState } from "react";

import type { IceServerSource } from "../rtc/Call";
import { checkConnectivity, describeConnectivity } from "../rtc/connectivityCheck";

type CheckState =
  | { phase: "idle" }
  | { phase: "checking" }
  | { phase: "done"; lines: string[] }
  | { phase: "failed" };

export function ConnectivityCheck({ iceServers }: { iceServers: IceServerSource }) {
  const [state, setState] = useState<CheckState>({ phase: "idle" });
  const check = () => {
    setState({ phase: "checking" });
    iceServers()
      .then(({ iceServers: servers }) => checkConnectivity(servers))
      .then(
        (report) => setState({ phase: "done", lines: describeConnectivity(report) }),
        () => setState({ phase: "failed" }),
      );
  };
  return (
    <div className="connectivity">
      <button type="button" onClick={check} disabled={state.phase === "checking"}>
        {state.phase === "checking" ? "Checking the connection…" : "Check my connection"}
      </button>
      <div role="status" aria-label="Connection check">
        {state.phase === "done" && (
          <ul>
            {state.lines.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        )}
        {state.phase === "failed" && (
          <p className="error">The check could not run: Glimpse's server did not answer.</p>
        )}
      </div>
    </div>
  );
}
