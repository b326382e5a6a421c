/** A plain timer: benchmarks use it only for settle times and rates, never to wait for a state (those are events). */
export const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
