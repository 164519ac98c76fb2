/**
 * The services the stack monitors, in display order (dashboards, rule files, routes and sampling policies follow
 * it). Adding a service is one file next to this one and one line here.
 */
import { agents } from "./agents";
import { ryot } from "./ryot";
import { sigmalang } from "./sigmalang";
import { sigmavault } from "./sigmavault";

export const serviceCatalog = [ryot, sigmalang, sigmavault, agents] as const;
