import { z } from "zod";
import { pinnedImage } from "./common";
import { image, versions, type Component } from "./versions";

/**
 * The `images` section: one pinned reference per row of the versions table, keyed as the table is. A stack may pin
 * any of them elsewhere (a mirror, a patched tag); every workload running that software reads the same key, so the
 * collector image of the log agents, trace agents and gateways can never differ.
 */
const shape = Object.fromEntries(
  (Object.keys(versions) as Component[]).map((k) => [k, pinnedImage.default(image(k))]),
) as { [K in Component]: z.ZodDefault<typeof pinnedImage> };

export const images = z.strictObject(shape).prefault({});
