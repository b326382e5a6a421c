/** Number formatting shared by the benchmarks and the report, so every table reads the same way. */

export function num(value, digits) {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a';
  const places = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  return value.toLocaleString('en-US', { minimumFractionDigits: places, maximumFractionDigits: places });
}

export const ms = (value) => `${num(value)} ms`;
export const mb = (value) => `${num(value, 1)} MB`;
export const ratio = (value) => `${num(value, Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2)}×`;
