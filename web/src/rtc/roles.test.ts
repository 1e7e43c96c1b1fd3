import { describe, expect, it } from "vitest";

import type { Participant } from "../realtime/protocol";
import { isHost, raisedHandsFirst, roleOf } from "./roles";

function person(id: string, hand: number | null, role?: Participant["role"]): Participant {
  return {
    id,
    user_id: `u-${id}`,
    display_name: id,
    media: { audio: true, video: true, screen: false },
    hand,
    ...(role === undefined ? {} : { role }),
  };
}

describe("roles", () => {
  it("puts raised hands first, in the order they went up", () => {
    const people = [person("a", null), person("b", 30), person("c", null), person("d", 10)];
    expect(raisedHandsFirst(people).map((p) => p.id)).toEqual(["d", "b", "a", "c"]);
  });

  it("counts the host and co-hosts as hosts, members by default", () => {
    expect(roleOf(person("a", null))).toBe("member");
    expect([isHost(person("h", null, "host")), isHost(person("c", null, "cohost"))]).toEqual([
      true,
      true,
    ]);
    expect([isHost(person("g", null, "guest")), isHost(null)]).toEqual([false, false]);
  });
});
