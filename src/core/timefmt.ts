// Pure date formatting for log texts (the core may not use Date): ctime(3)-style strings in UTC.

const DAYS = ['Thu', 'Fri', 'Sat', 'Sun', 'Mon', 'Tue', 'Wed'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Civil date from days since 1970-01-01 (Howard Hinnant's algorithm). */
export function civilFromDays(z0: number): { y: number; m: number; d: number } {
  const z = z0 + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `Thu Nov 26 12:00:33 2026` for a ms timestamp (UTC). */
export function ctime(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  const rem = ms - days * 86_400_000;
  const { y, m, d } = civilFromDays(days);
  const hh = Math.floor(rem / 3_600_000);
  const mm = Math.floor((rem % 3_600_000) / 60_000);
  const ss = Math.floor((rem % 60_000) / 1000);
  const dow = DAYS[((days % 7) + 7) % 7] ?? 'Thu';
  return `${dow} ${MONTHS[m - 1] ?? 'Jan'} ${pad(d)} ${pad(hh)}:${pad(mm)}:${pad(ss)} ${y}`;
}
