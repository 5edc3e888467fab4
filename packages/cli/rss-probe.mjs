const what = process.argv[2];
const before = process.memoryUsage().rss;
const t = performance.now();
if (what !== "none") await import(what);
const dt = performance.now() - t;
globalThis.gc?.();
const m = process.memoryUsage();
console.log(
  `${what}: rss ${(m.rss / 2 ** 20).toFixed(1)} MiB (+${((m.rss - before) / 2 ** 20).toFixed(1)}), heapUsed ${(m.heapUsed / 2 ** 20).toFixed(1)}, heapTotal ${(m.heapTotal / 2 ** 20).toFixed(1)}, ext ${(m.external / 2 ** 20).toFixed(1)}, ${dt.toFixed(0)} ms`,
);
