/**
 * US dollars for messages: every digit that matters, none that does not. Budgets and per-request
 * costs are fractions of a cent, so cents alone would say "$0.00" of a real budget.
 */
export function formatUsd(amount: number): string {
  if (!Number.isFinite(amount)) return `$${amount}`;
  const sign = amount < 0 ? "-" : "";
  // Up to 8 decimals (a millionth of a cent is below any price we bill), at least 2, no trailing zeros.
  let digits = Math.abs(amount).toFixed(8).replace(/0+$/, "");
  const [whole, fraction = ""] = digits.split(".");
  digits = `${whole}.${fraction.padEnd(2, "0")}`;
  return `${sign}$${digits}`;
}
