// Initials on a colour derived from the user id: stable, and distinct enough to tell people apart.
const HUES = [250, 200, 160, 130, 30, 10, 330, 290, 180, 45];

function hueFor(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return HUES[h % HUES.length] ?? 250;
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const first = parts[0]?.[0] ?? "?";
  const second = parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? "") : (parts[0]?.[1] ?? "");
  return (first + second).toUpperCase();
}

export function Avatar({ id, name, size = 36 }: { id: string; name: string; size?: number }) {
  const hue = hueFor(id);
  return (
    <span
      aria-hidden="true"
      className="inline-flex shrink-0 select-none items-center justify-center rounded-lg font-semibold tracking-tight"
      style={{
        width: size,
        height: size,
        fontSize: Math.round(size * 0.38),
        background: `light-dark(hsl(${hue} 70% 92%), hsl(${hue} 35% 24%))`,
        color: `light-dark(hsl(${hue} 55% 32%), hsl(${hue} 70% 82%))`,
      }}
    >
      {initials(name)}
    </span>
  );
}
