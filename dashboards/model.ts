/**
 * A typed subset of Grafana's dashboard JSON model: what our dashboards use, nothing more. Panels are declared in
 * rows of relative widths; {@link layout} computes every `gridPos`, so no position is ever written by hand.
 */

/** Grafana's grid is 24 columns wide. */
export const gridColumns = 24;

export interface DatasourceRef {
  type: "prometheus";
  uid: string;
}

export interface Target {
  refId: string;
  expr: string;
  legendFormat?: string;
  datasource: DatasourceRef;
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
  };
  overrides: never[];
}

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface GraphPanel {
  id: number;
  type: "timeseries" | "stat";
  title: string;
  description?: string;
  gridPos: GridPos;
  datasource: DatasourceRef;
  targets: Target[];
  fieldConfig: FieldConfig;
  options: Record<string, unknown>;
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
  templating: { list: never[] };
  annotations: { list: never[] };
  panels: Panel[];
}

/** What a dashboard file declares about one panel; id, position and datasource are filled in by {@link layout}. */
export interface PanelSpec {
  type: "timeseries" | "stat";
  title: string;
  description?: string;
  /** Relative width within its row. */
  span?: number;
  queries: { expr: string; legend?: string }[];
  unit?: string;
  min?: number;
  max?: number;
  decimals?: number;
  /** Colour steps: the first applies below the first value. */
  thresholds?: ThresholdStep[];
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

function panelOf(spec: PanelSpec, id: number, gridPos: GridPos, datasource: DatasourceRef): GraphPanel {
  return {
    id,
    type: spec.type,
    title: spec.title,
    ...(spec.description ? { description: spec.description } : {}),
    gridPos,
    datasource,
    targets: spec.queries.map((q, i) => ({
      refId: String.fromCharCode(65 + i),
      expr: q.expr,
      ...(q.legend ? { legendFormat: q.legend } : {}),
      datasource,
    })),
    fieldConfig: {
      defaults: {
        ...(spec.unit ? { unit: spec.unit } : {}),
        ...(spec.min !== undefined ? { min: spec.min } : {}),
        ...(spec.max !== undefined ? { max: spec.max } : {}),
        ...(spec.decimals !== undefined ? { decimals: spec.decimals } : {}),
        ...(spec.thresholds ? { thresholds: { mode: "absolute", steps: spec.thresholds } } : {}),
      },
      overrides: [],
    },
    options:
      spec.type === "stat"
        ? { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "background", graphMode: "none", textMode: "auto" }
        : { legend: { displayMode: "list", placement: "bottom", showLegend: true }, tooltip: { mode: "multi", sort: "desc" } },
  };
}

/**
 * Lays rows out top to bottom: a row header (1 unit high) then its panels side by side, widths from their spans.
 * Panel ids are assigned in reading order, so they are stable for a given list of rows.
 */
export function layout(rows: RowSpec[], datasource: DatasourceRef): Panel[] {
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
      panels.push(panelOf(spec, id++, { x, y, w: widths[i], h: height }, datasource));
      x += widths[i];
    });
    y += height;
  }
  return panels;
}

/** A dashboard with this stack's conventions: UTC, read-only (provisioned from files), shared crosshair. */
export function dashboard(args: { uid: string; title: string; description: string; tags: string[]; rows: RowSpec[]; datasource: DatasourceRef }): Dashboard {
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
    time: { from: "now-6h", to: "now" },
    templating: { list: [] },
    annotations: { list: [] },
    panels: layout(args.rows, args.datasource),
  };
}
