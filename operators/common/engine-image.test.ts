import { describe, expect, it } from "vitest";
import { pinnedEngineImage } from "./engine-image.js";

describe("pinned engine images", () => {
  const pins = { "10.11": "10.11.14" };
  it("pins a minor version to its patch release and keeps a full version as written", () => {
    expect(pinnedEngineImage("mariadb", "10.11", pins, {})).toBe("mariadb:10.11.14");
    expect(pinnedEngineImage("mariadb", "10.11.9", pins, {})).toBe("mariadb:10.11.9");
  });
  it("takes the repository from STEWARD_IMAGE_<REPOSITORY>, with the pinned version in it", () => {
    expect(pinnedEngineImage("mariadb", "10.11", pins, { STEWARD_IMAGE_MARIADB: "mirror.example/db/mariadb:{version}-ubi" })).toBe("mirror.example/db/mariadb:10.11.14-ubi");
  });
});
