import { describe, expect, it } from "vitest";
import { formatUsd } from "./money";

describe("formatUsd", () => {
  it("keeps the digits of a fraction of a cent", () => {
    expect(formatUsd(0.00042)).toBe("$0.00042");
    expect(formatUsd(0.000508123)).toBe("$0.00050812");
    expect(formatUsd(0)).toBe("$0.00");
  });
  it("shows whole amounts with cents", () => {
    expect(formatUsd(5)).toBe("$5.00");
    expect(formatUsd(12.5)).toBe("$12.50");
    expect(formatUsd(-0.25)).toBe("-$0.25");
  });
});
