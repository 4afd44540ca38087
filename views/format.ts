// Numbers as the pages show them ("12,345").
// One formatter for every page: in workerd, Number.prototype.toLocaleString
// builds a new ICU formatter on each call (about 15 µs), which made a 90-day
// report page spend milliseconds of CPU on its digits; a shared
// Intl.NumberFormat formats the same in about half a microsecond.
const numbers = new Intl.NumberFormat("en-US");

export const formatNumber = (n: number) => numbers.format(n);
