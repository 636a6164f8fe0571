// Hand-made SVG charts (no browser, no dependency): line charts for memory and
// latency against the number of clients, and a bar chart of Parley/baseline
// ratios against their targets.

export interface LineSeries {
  name: string;
  color: string;
  dashed?: boolean;
  points: [number, number][];
}

const FONT = `font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"`;
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** 1, 2, 5 x 10^k steps that give about `count` ticks up to `max`. */
function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 0.001; v += step) ticks.push(Number(v.toPrecision(12)));
  if ((ticks[ticks.length - 1] ?? 0) < max) ticks.push(Number((ticks.length * step).toPrecision(12)));
  return ticks;
}

const label = (v: number) =>
  Math.abs(v) >= 100 ? Math.round(v).toLocaleString("en-US") : Math.abs(v) >= 10 ? v.toFixed(1) : String(Number(v.toPrecision(2)));

export function lineChart(options: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  width?: number;
  height?: number;
  /** Logarithmic y axis (latencies spanning milliseconds to seconds). */
  logY?: boolean;
}): string {
  const width = options.width ?? 720;
  // Legend entries wrap into as many columns as their names allow.
  const longest = Math.max(...options.series.map((s) => s.name.length), 1);
  const columns = Math.max(1, Math.min(3, Math.floor((width - 88) / (longest * 6.6 + 40))));
  const legendRows = Math.ceil(options.series.length / columns);
  const height = (options.height ?? 380) + (legendRows - 1) * 20;
  const m = { top: 48, right: 56, bottom: 64 + legendRows * 20, left: 72 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const all = options.series.flatMap((s) => s.points).filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py));
  const xs = niceTicks(Math.max(...all.map(([px]) => px), 1));
  const xMax = xs[xs.length - 1] ?? 1;
  const sx = (v: number) => m.left + (v / xMax) * w;
  let ys: number[];
  let sy: (v: number) => number;
  if (options.logY) {
    const positive = all.map(([, py]) => py).filter((v) => v > 0);
    const lo = 10 ** Math.floor(Math.log10(Math.min(...positive, 1)));
    const hi = 10 ** Math.ceil(Math.log10(Math.max(...positive, 10)));
    ys = [];
    for (let v = lo; v <= hi * 1.0001; v *= 10) ys.push(v);
    sy = (v: number) => m.top + h - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * h;
  } else {
    ys = niceTicks(Math.max(...all.map(([, py]) => py), 0) * 1.05);
    const yMax = ys[ys.length - 1] ?? 1;
    sy = (v: number) => m.top + h - (v / yMax) * h;
  }
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`);
  parts.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  parts.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="600" fill="#111">${esc(options.title)}</text>`);
  for (const t of ys) {
    parts.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${sy(t)}" y2="${sy(t)}" stroke="#e5e7eb"/>`);
    parts.push(`<text x="${m.left - 8}" y="${sy(t) + 4}" text-anchor="end" fill="#444">${label(t)}</text>`);
  }
  for (const t of xs) {
    parts.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${m.top + h}" y2="${m.top + h + 5}" stroke="#666"/>`);
    parts.push(`<text x="${sx(t)}" y="${m.top + h + 19}" text-anchor="middle" fill="#444">${label(t)}</text>`);
  }
  parts.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${m.top + h}" y2="${m.top + h}" stroke="#666"/>`);
  parts.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + h}" stroke="#666"/>`);
  parts.push(`<text x="${m.left + w / 2}" y="${m.top + h + 40}" text-anchor="middle" fill="#222">${esc(options.xLabel)}</text>`);
  parts.push(
    `<text transform="translate(18 ${m.top + h / 2}) rotate(-90)" text-anchor="middle" fill="#222">${esc(options.yLabel)}</text>`,
  );
  for (const s of options.series) {
    const pts = s.points.filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py));
    if (pts.length === 0) continue;
    const d = pts.map(([px, py], i) => `${i === 0 ? "M" : "L"}${sx(px).toFixed(1)},${sy(py).toFixed(1)}`).join(" ");
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`);
    for (const [px, py] of pts) {
      parts.push(`<circle cx="${sx(px).toFixed(1)}" cy="${sy(py).toFixed(1)}" r="3.5" fill="${s.color}"/>`);
      parts.push(`<text x="${(sx(px) + 6).toFixed(1)}" y="${(sy(py) - 6).toFixed(1)}" font-size="10" fill="${s.color}">${label(py)}</text>`);
    }
  }
  // Legend, below the x-axis label.
  const colW = (width - m.left - 16) / columns;
  options.series.forEach((s, i) => {
    const lx = m.left + (i % columns) * colW;
    const ly = height - 18 - (legendRows - 1 - Math.floor(i / columns)) * 20;
    parts.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`);
    parts.push(`<text x="${lx + 28}" y="${ly}" fill="#222">${esc(s.name)}</text>`);
  });
  parts.push(`</svg>`);
  return `${parts.join("\n")}\n`;
}

export interface RatioBar {
  label: string;
  /** Parley / baseline. */
  ratio: number;
  /** The target's limit, and which side of it passes. */
  limit: number;
  better: "lower" | "higher";
}

export function ratioChart(options: { title: string; bars: RatioBar[]; width?: number; cap?: number }): string {
  const width = options.width ?? 720;
  const rowH = 34;
  const m = { top: 48, right: 90, bottom: 44, left: 250 };
  const h = options.bars.length * rowH;
  const height = m.top + h + m.bottom;
  const w = width - m.left - m.right;
  const finite = options.bars.map((b) => b.ratio).filter(Number.isFinite);
  // Bars longer than the cap are cut (with their value printed): one outlier must not flatten the rest.
  const xMax = Math.min(options.cap ?? 4, Math.max(2, ...finite, ...options.bars.map((b) => b.limit)) * 1.05);
  const sx = (v: number) => m.left + (Math.min(v, xMax) / xMax) * w;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`);
  parts.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  parts.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="600" fill="#111">${esc(options.title)}</text>`);
  for (const t of niceTicks(xMax, 6)) {
    if (t > xMax) continue;
    parts.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${m.top}" y2="${m.top + h}" stroke="#e5e7eb"/>`);
    parts.push(`<text x="${sx(t)}" y="${m.top + h + 16}" text-anchor="middle" fill="#444">${label(t)}x</text>`);
  }
  parts.push(`<line x1="${sx(1)}" x2="${sx(1)}" y1="${m.top - 6}" y2="${m.top + h}" stroke="#111" stroke-width="1.5"/>`);
  parts.push(`<text x="${sx(1)}" y="${m.top - 10}" text-anchor="middle" fill="#111">baseline = 1x</text>`);
  options.bars.forEach((b, i) => {
    const y = m.top + i * rowH + 6;
    const met = b.better === "lower" ? b.ratio <= b.limit : b.ratio >= b.limit;
    const color = !Number.isFinite(b.ratio) ? "#9ca3af" : met ? "#16a34a" : "#dc2626";
    parts.push(`<text x="${m.left - 8}" y="${y + 15}" text-anchor="end" fill="#222">${esc(b.label)}</text>`);
    if (Number.isFinite(b.ratio)) {
      parts.push(`<rect x="${m.left}" y="${y}" width="${(sx(b.ratio) - m.left).toFixed(1)}" height="${rowH - 12}" fill="${color}" opacity="0.85"/>`);
      const cut = b.ratio > xMax;
      parts.push(`<text x="${(sx(b.ratio) + 5).toFixed(1)}" y="${y + 15}" fill="${color}" font-weight="600">${b.ratio.toFixed(2)}x${cut ? " →" : ""}</text>`);
    } else {
      parts.push(`<text x="${m.left + 6}" y="${y + 15}" fill="${color}">n/a</text>`);
    }
    // The target: a dashed mark at the limit.
    parts.push(`<line x1="${sx(b.limit)}" x2="${sx(b.limit)}" y1="${y - 3}" y2="${y + rowH - 9}" stroke="#111" stroke-dasharray="3 2" stroke-width="1.5"/>`);
  });
  parts.push(
    `<text x="16" y="${height - 10}" fill="#444">green: met, red: missed; dashed mark: the target (≤ for costs, ≥ for rates)</text>`,
  );
  parts.push(`</svg>`);
  return `${parts.join("\n")}\n`;
}
