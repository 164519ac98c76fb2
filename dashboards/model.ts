/**
 * A typed subset of Grafana's dashboard JSON model: what our dashboards use, nothing more. Panels are declared in
 * rows of relative widths; {@link layout} computes every `gridPos`, so no position is ever written by hand.
 */

/** Grafana's grid is 24 columns wide. */
export const gridColumns = 24;

export type DatasourceKind = "prometheus" | "loki";

export interface DatasourceRef {
  type: DatasourceKind;
  /** A provisioned uid, or `${variable}` of a datasource variable. */
  uid: string;
}

export interface Target {
  refId: string;
  expr: string;
  legendFormat?: string;
  datasource: DatasourceRef;
  /** Tables read one instant vector; graphs a range. */
  instant?: boolean;
  range?: boolean;
  format?: "time_series" | "table" | "heatmap";
  queryType?: "range" | "instant";
}

export interface ThresholdStep {
  color: string;
  value: number | null;
}

export interface FieldConfig {
  defaults: {
    unit?: string;
    min?: number;
    max?: number;
    decimals?: number;
    thresholds?: { mode: "absolute"; steps: ThresholdStep[] };
    custom?: { thresholdsStyle: { mode: "line" | "off" } };
    links?: Link[];
  };
  overrides: never[];
}

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export type GraphType = "timeseries" | "stat" | "table" | "heatmap" | "logs";

export interface Link {
  title: string;
  url: string;
}

export interface GraphPanel {
  id: number;
  type: GraphType;
  title: string;
  description?: string;
  gridPos: GridPos;
  datasource: DatasourceRef;
  targets: Target[];
  fieldConfig: FieldConfig;
  options: Record<string, unknown>;
  /** Relative time override: a burn-down spans the SLO period whatever the dashboard's range. */
  timeFrom?: string;
  links?: Link[];
}

export interface RowPanel {
  id: number;
  type: "row";
  title: string;
  collapsed: false;
  gridPos: GridPos;
  panels: [];
}

export type Panel = GraphPanel | RowPanel;

interface Current {
  text: string;
  value: string;
}

/** A template variable: the datasource that stands for an environment, a fixed or listed value, or a label's values. */
export type Variable =
  | { type: "datasource"; name: string; label: string; query: DatasourceKind; current: Current; hide: 0 | 2; refresh: 1; regex: ""; options: [] }
  | { type: "constant"; name: string; label: string; query: string; current: Current; hide: 2; options: [] }
  | {
      type: "custom";
      name: string;
      label: string;
      query: string;
      current: Current;
      options: (Current & { selected: boolean })[];
      multi: boolean;
      includeAll: boolean;
      hide: 0;
    }
  | {
      type: "query";
      name: string;
      label: string;
      datasource: DatasourceRef;
      query: { query: string; refId: string };
      definition: string;
      current: Current;
      options: [];
      refresh: 2;
      sort: 1;
      multi: boolean;
      includeAll: boolean;
      hide: 0;
    };

/** A link in the dashboard's header; `includeVars` and `keepTime` carry the environment and time range across. */
export interface DashboardLink {
  title: string;
  type: "link" | "dashboards";
  url: string;
  tags: string[];
  asDropdown: boolean;
  includeVars: boolean;
  keepTime: boolean;
  targetBlank: false;
  icon: "dashboard" | "external link";
  tooltip: string;
}

export interface Dashboard {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  timezone: "utc";
  editable: false;
  graphTooltip: 1;
  refresh: string;
  schemaVersion: 39;
  version: 1;
  time: { from: string; to: string };
  templating: { list: Variable[] };
  annotations: { list: never[] };
  links: DashboardLink[];
  panels: Panel[];
}

export interface QuerySpec {
  expr: string;
  legend?: string;
}

/** What a dashboard file declares about one panel; id, position and datasource are filled in by {@link layout}. */
export interface PanelSpec {
  type: GraphType;
  title: string;
  description?: string;
  /** Relative width within its row. */
  span?: number;
  /** Which of the dashboard's datasources the queries read; Prometheus unless said. */
  datasource?: DatasourceKind;
  queries: QuerySpec[];
  unit?: string;
  min?: number;
  max?: number;
  decimals?: number;
  /** Colour steps: the first applies below the first value. */
  thresholds?: ThresholdStep[];
  /** Draws the thresholds on a time series as horizontal lines (alert thresholds, targets). */
  thresholdLines?: boolean;
  timeFrom?: string;
  links?: Link[];
}

export interface RowSpec {
  title: string;
  /** Height of the row's panels in grid units. */
  height?: number;
  panels: PanelSpec[];
}

/** Splits the grid width among `spans`, giving the remainder to the leftmost panels so every row fills 24 columns. */
export function columnWidths(spans: number[]): number[] {
  if (spans.length === 0 || spans.length > gridColumns || spans.some((s) => !(s > 0))) {
    throw new Error(`a row holds 1-${gridColumns} panels with positive spans; got ${JSON.stringify(spans)}`);
  }
  const total = spans.reduce((a, b) => a + b, 0);
  const widths = spans.map((s) => Math.floor((s / total) * gridColumns));
  let rest = gridColumns - widths.reduce((a, b) => a + b, 0);
  for (let i = 0; rest > 0; i = (i + 1) % widths.length, rest--) widths[i] += 1;
  return widths;
}

/** The datasources a dashboard's panels read, by kind. */
export type Datasources = { prometheus: DatasourceRef } & Partial<Record<Exclude<DatasourceKind, "prometheus">, DatasourceRef>>;

function optionsOf(type: GraphType): Record<string, unknown> {
  switch (type) {
    case "stat":
      return { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "background", graphMode: "none", textMode: "auto" };
    case "table":
      return { showHeader: true, cellHeight: "sm", footer: { show: false, reducer: ["sum"], fields: "" } };
    case "heatmap":
      return { calculate: false, yAxis: { axisPlacement: "left" }, cellGap: 1, color: { mode: "scheme", scheme: "Oranges", steps: 64 } };
    case "logs":
      return { showTime: true, wrapLogMessage: true, sortOrder: "Descending", enableLogDetails: true, dedupStrategy: "none" };
    default:
      return { legend: { displayMode: "list", placement: "bottom", showLegend: true }, tooltip: { mode: "multi", sort: "desc" } };
  }
}

function targetOf(spec: PanelSpec, q: QuerySpec, i: number, datasource: DatasourceRef): Target {
  const base = { refId: String.fromCharCode(65 + i), expr: q.expr, ...(q.legend ? { legendFormat: q.legend } : {}), datasource };
  if (datasource.type === "loki") return { ...base, queryType: "range" };
  if (spec.type === "table") return { ...base, instant: true, range: false, format: "table" };
  if (spec.type === "heatmap") return { ...base, format: "heatmap" };
  return base;
}

function panelOf(spec: PanelSpec, id: number, gridPos: GridPos, datasources: Datasources): GraphPanel {
  const kind = spec.datasource ?? "prometheus";
  const datasource = datasources[kind];
  if (!datasource) throw new Error(`panel "${spec.title}" reads ${kind}, which this dashboard has no datasource for`);
  return {
    id,
    type: spec.type,
    title: spec.title,
    ...(spec.description ? { description: spec.description } : {}),
    gridPos,
    datasource,
    targets: spec.queries.map((q, i) => targetOf(spec, q, i, datasource)),
    fieldConfig: {
      defaults: {
        ...(spec.unit ? { unit: spec.unit } : {}),
        ...(spec.min !== undefined ? { min: spec.min } : {}),
        ...(spec.max !== undefined ? { max: spec.max } : {}),
        ...(spec.decimals !== undefined ? { decimals: spec.decimals } : {}),
        ...(spec.thresholds ? { thresholds: { mode: "absolute", steps: spec.thresholds } } : {}),
        ...(spec.thresholdLines ? { custom: { thresholdsStyle: { mode: "line" } } } : {}),
      },
      overrides: [],
    },
    options: optionsOf(spec.type),
    ...(spec.timeFrom ? { timeFrom: spec.timeFrom } : {}),
    ...(spec.links ? { links: spec.links } : {}),
  };
}

/**
 * Lays rows out top to bottom: a row header (1 unit high) then its panels side by side, widths from their spans.
 * Panel ids are assigned in reading order, so they are stable for a given list of rows.
 */
export function layout(rows: RowSpec[], datasources: DatasourceRef | Datasources): Panel[] {
  const sources: Datasources = "uid" in datasources ? { prometheus: datasources } : datasources;
  const panels: Panel[] = [];
  let y = 0;
  let id = 1;
  for (const row of rows) {
    panels.push({ id: id++, type: "row", title: row.title, collapsed: false, gridPos: { x: 0, y, w: gridColumns, h: 1 }, panels: [] });
    y += 1;
    const height = row.height ?? 6;
    const widths = columnWidths(row.panels.map((p) => p.span ?? 1));
    let x = 0;
    row.panels.forEach((spec, i) => {
      panels.push(panelOf(spec, id++, { x, y, w: widths[i], h: height }, sources));
      x += widths[i];
    });
    y += height;
  }
  return panels;
}

/** A dashboard with this stack's conventions: UTC, read-only (provisioned from files), shared crosshair. */
export function dashboard(args: {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  rows: RowSpec[];
  datasources: Datasources;
  variables?: Variable[];
  links?: DashboardLink[];
  time?: { from: string; to: string };
}): Dashboard {
  return {
    uid: args.uid,
    title: args.title,
    description: args.description,
    tags: ["sigma-observability", ...args.tags],
    timezone: "utc",
    editable: false,
    graphTooltip: 1,
    refresh: "1m",
    schemaVersion: 39,
    version: 1,
    time: args.time ?? { from: "now-6h", to: "now" },
    templating: { list: args.variables ?? [] },
    annotations: { list: [] },
    links: args.links ?? [],
    panels: layout(args.rows, args.datasources),
  };
}
