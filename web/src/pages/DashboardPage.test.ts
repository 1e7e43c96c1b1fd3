import { describe, expect, it } from "vitest";

import { roomCodeFrom } from "./DashboardPage";

describe("roomCodeFrom", () => {
  it("takes a bare code or the code at the end of an invite link", () => {
    expect(roomCodeFrom("  kq7x-m2pa-9rtv ")).toBe("kq7x-m2pa-9rtv");
    expect(roomCodeFrom("http://127.0.0.1:8000/r/kq7x-m2pa-9rtv")).toBe("kq7x-m2pa-9rtv");
    expect(roomCodeFrom("https://meet.example.org/r/kq7x-m2pa-9rtv?x=1#y")).toBe("kq7x-m2pa-9rtv");
  });
});
